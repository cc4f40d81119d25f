package dev.jbert.train;

import dev.jbert.Seeds;
import dev.jbert.data.HostBatch;
import dev.jbert.dist.GradientAllreduce;
import dev.jbert.dist.ProcessGroup;
import dev.jbert.model.BertModel;
import java.util.function.BooleanSupplier;
import org.bytedeco.pytorch.global.torch;

/**
 * One optimiser step, the same for a run and for the benchmark: forward and backward of every part of the batch, one
 * Adam update.
 *
 * <p>With a process group, this process runs only its share of the batch (by example), with the losses divided by the
 * whole batch's totals; the gradients are then summed over the processes, so every process holds the whole batch's
 * gradient, applies the same Adam update and keeps the same weights (as DistributedDataParallel does).
 */
final class TrainingStep {
  private final TrainConfig cfg;
  private final BertModel model;
  private final Adam adam;
  private final MicroBatches parts;
  private final ProcessGroup group; // null: this process alone
  private final GradientAllreduce gradients;

  TrainingStep(TrainConfig cfg, BertModel model, Adam adam, MicroBatches parts) {
    this(cfg, model, adam, parts, null, null);
  }

  TrainingStep(TrainConfig cfg, BertModel model, Adam adam, MicroBatches parts, ProcessGroup group,
      GradientAllreduce gradients) {
    this.cfg = cfg;
    this.model = model;
    this.adam = adam;
    this.parts = parts;
    this.group = group;
    this.gradients = gradients;
  }

  /**
   * Step {@code step} (0-based) on {@code batch}. Dropout masks are a function of (seed, step, example), so a resumed
   * run draws what an uninterrupted one would, however the batch is split. The losses are the whole batch's.
   */
  StepLosses run(HostBatch batch, int step, PhaseTimes times, BooleanSupplier stop) {
    long maskSeed = Seeds.mix(cfg.seed(), step);
    torch.manual_seed(maskSeed); // a GPU's dropout is torch's, drawn from the generator
    StepLosses losses = group == null
        ? parts.forwardBackward(batch, step + 1, maskSeed, times, stop)
        : shareForwardBackward(batch, step, maskSeed, times, stop);
    long t0 = System.nanoTime();
    if (cfg.clipGradNorm() > 0) {
      Adam.clipGradNorm(model.parameters(), cfg.clipGradNorm());
    }
    adam.step(model.parameters(), cfg.lrAt(step));
    times.optimizerNs += System.nanoTime() - t0;
    return losses;
  }

  /** This process's share of the step, then the sums over all processes of the gradients and the losses. */
  private StepLosses shareForwardBackward(HostBatch batch, int step, long maskSeed, PhaseTimes times,
      BooleanSupplier stop) {
    // every process has the whole batch (same data, same seed): the totals that normalise the loss are global
    double weightTotal = BatchParts.weightSum(batch) + PretrainingLoss.WEIGHT_EPS;
    HostBatch share = BatchParts.share(batch, group.rank(), group.size());
    StepLosses mine = share.size() == 0 // a last partial batch smaller than the world: this rank adds nothing
        ? new StepLosses(0, 0)
        : parts.forwardBackward(share, weightTotal, batch.size(), step + 1, maskSeed, times, stop,
            gradients::beforeLastBackward);
    long t0 = System.nanoTime();
    gradients.finish(); // overlapped: what is left to send after backward, and the wait
    double[] sums = group.sum("the losses", mine.mlm(), mine.nsp());
    times.allreduceNs += System.nanoTime() - t0;
    StepLosses losses = new StepLosses(sums[0], sums[1]);
    if (!losses.finite()) { // every rank sees the same sums, so all of them stop here, at the same step
      throw new MicroBatches.NonFiniteLossException(step + 1, losses);
    }
    return losses;
  }
}
