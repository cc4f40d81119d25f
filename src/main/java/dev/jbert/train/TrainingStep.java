package dev.jbert.train;

import dev.jbert.Seeds;
import dev.jbert.data.HostBatch;
import dev.jbert.model.BertModel;
import java.util.function.BooleanSupplier;
import org.bytedeco.pytorch.global.torch;

/**
 * One optimiser step, the same for a run and for the benchmark: forward and backward of every part of the batch on
 * every device, one Adam update, the new weights to the other devices.
 */
final class TrainingStep {
  private final TrainConfig cfg;
  private final BertModel model;
  private final Adam adam;
  private final DataParallel replicas;

  TrainingStep(TrainConfig cfg, BertModel model, Adam adam, DataParallel replicas) {
    this.cfg = cfg;
    this.model = model;
    this.adam = adam;
    this.replicas = replicas;
  }

  /**
   * Step {@code step} (0-based) on {@code batch}. Dropout masks are a function of (seed, step, example), so a resumed
   * run draws what an uninterrupted one would, however the batch is split.
   */
  StepLosses run(HostBatch batch, int step, PhaseTimes times, BooleanSupplier stop) {
    long maskSeed = Seeds.mix(cfg.seed(), step);
    torch.manual_seed(maskSeed); // a GPU's dropout is torch's, drawn from the generator
    StepLosses losses = replicas.forwardBackward(batch, step + 1, maskSeed, times, stop);
    long t0 = System.nanoTime();
    if (cfg.clipGradNorm() > 0) {
      Adam.clipGradNorm(model.parameters(), cfg.clipGradNorm());
    }
    adam.step(model.parameters(), cfg.lrAt(step));
    replicas.broadcastWeights();
    times.optimizerNs += System.nanoTime() - t0;
    return losses;
  }
}
