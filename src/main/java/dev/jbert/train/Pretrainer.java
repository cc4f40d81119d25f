package dev.jbert.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.jbert.data.BatchIterator;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingExample;
import dev.jbert.data.Vocab;
import dev.jbert.model.BertModel;
import dev.jbert.model.GradMode;
import dev.jbert.model.SafeTensors;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The pretraining loop of spec section 8: for each step, the next batch; forward, {@code mlm + nsp} and backward on
 * every device; one Adam update. It evaluates, checkpoints and stops on request (Ctrl-C) between steps, and writes
 * the run folder as it goes.
 */
public final class Pretrainer {
  /** Training and held-out examples, with the vocabulary that encoded them. */
  public record Data(List<PretrainingExample> train, List<PretrainingExample> valid, Vocab vocab) {}

  /** What the loop reports as it goes; the CLI draws it, tests record it. */
  public interface Listener {
    default void onStep(StepMetrics metrics) {}

    default void onEval(int step, EvalResult result) {}

    default void onCheckpoint(int step) {}
  }

  private final RunConfig config;
  private final List<Device> devices;

  public Pretrainer(RunConfig config, List<Device> devices) {
    this.config = config;
    this.devices = devices;
  }

  /**
   * Runs (or with {@code resume}, continues from the run folder's checkpoint) up to {@code train().steps()} steps.
   * {@code stop} is polled between steps; when it turns true the run checkpoints and returns an interrupted summary.
   */
  public TrainingSummary run(Data data, RunFolder run, boolean resume, Listener listener, BooleanSupplier stop) {
    TrainConfig cfg = config.train();
    GradMode.off();
    try (NDManager root = NDManager.newBaseManager(devices.get(0))) {
      Checkpoint from = resume ? Checkpoint.load(run.file(RunFolder.CHECKPOINT), root) : null;
      BertModel model = from == null
          ? BertModel.create(config.model(), root, DataType.FLOAT32, cfg.seed())
          : BertModel.fromParameters(config.model(), root, from.weights());
      try (model;
          Adam adam = new Adam(cfg.beta1(), cfg.beta2(), cfg.eps(), model.parameters(), root);
          DataParallel replicas = new DataParallel(model, devices, root, cfg.mlmAllSlots(), cfg.microBatches())) {
        int start = 0;
        MetricsLog metrics = new MetricsLog();
        if (from != null) {
          adam.restore(from.adamState(), from.adamSteps());
          start = from.step();
          metrics = MetricsLog.read(run.file(RunFolder.METRICS), start);
        } else {
          run.writeConfig(config);
          data.vocab().save(run.file(RunFolder.VOCAB));
        }
        BatchIterator batches = new BatchIterator(data.train(), cfg.batchSize(), cfg.seed(), start);
        // evaluation holds no graph, but a whole batch's activations at once: split it as training does
        int evalBatch = Math.max(1, cfg.batchSize() / cfg.microBatches());
        EvalResult eval = null;
        int step = start;
        try {
          while (step < cfg.steps() && !stop.getAsBoolean()) {
            HostBatch batch = batches.next();
            // dropout masks are a function of (seed, step), so a resumed run draws what an uninterrupted one would
            Engine.getInstance().setRandomSeed(stepSeed(cfg.seed(), step));
            long t0 = System.nanoTime();
            StepLosses losses = replicas.forwardBackward(batch, step + 1);
            adam.step(model.parameters(), cfg.lrAt(step));
            replicas.broadcastWeights();
            double seconds = (System.nanoTime() - t0) / 1e9;
            step++;
            metrics.add(new StepMetrics(step, losses.mlm(), losses.nsp(), cfg.lrAt(step - 1),
                batch.size() / seconds, metrics.elapsedS() + seconds));
            listener.onStep(metrics.rows().get(metrics.rows().size() - 1));

            if (cfg.evalEvery() > 0 && step % cfg.evalEvery() == 0 && step < cfg.steps() && !data.valid().isEmpty()) {
              listener.onEval(step, Evaluator.evaluate(model, data.valid(), evalBatch, root));
            }
            if (cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0 && step < cfg.steps()) {
              saveProgress(run, model, adam, metrics, step, batches.position());
              listener.onCheckpoint(step);
            }
          }
        } finally {
          // also on a non-finite loss: the metrics up to the last good step are worth keeping
          metrics.write(run.file(RunFolder.METRICS));
        }
        boolean interrupted = step < cfg.steps();
        saveProgress(run, model, adam, metrics, step, batches.position());
        listener.onCheckpoint(step);
        SafeTensors.write(run.file(RunFolder.MODEL), model.parameters(), Map.of("format", "pt"));
        LossPlot.write(metrics.rows(), run.file(RunFolder.PLOT_PNG), run.file(RunFolder.PLOT_SVG));
        if (!interrupted && !data.valid().isEmpty()) {
          eval = Evaluator.evaluate(model, data.valid(), evalBatch, root);
          listener.onEval(step, eval);
        }
        TrainingSummary summary = new TrainingSummary(metrics.meanMlmLoss(), metrics.meanNspLoss(),
            metrics.pairsPerS(), step, metrics.elapsedS(), devices.stream().map(Device::toString).toList(),
            model.parameterCount(),
            eval == null ? Double.NaN : eval.mlmLoss(), eval == null ? Double.NaN : eval.mlmAccuracy(),
            eval == null ? Double.NaN : eval.perplexity(), eval == null ? Double.NaN : eval.nspAccuracy(),
            interrupted);
        run.writeSummary(summary);
        return summary;
      }
    }
  }

  private void saveProgress(
      RunFolder run, BertModel model, Adam adam, MetricsLog metrics, int step, long batchPosition) {
    Checkpoint.save(run.file(RunFolder.CHECKPOINT), model, adam, step, batchPosition, config.train().seed());
    metrics.write(run.file(RunFolder.METRICS));
  }

  /** A well-mixed 32-bit seed for one step (SplitMix64's finaliser over seed and step). */
  static int stepSeed(long seed, int step) {
    long z = seed * 0x9E3779B97F4A7C15L + step + 1;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (int) (z ^ (z >>> 31));
  }
}
