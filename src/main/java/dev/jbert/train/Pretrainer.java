package dev.jbert.train;

import dev.jbert.JbertException;
import dev.jbert.data.BatchIterator;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingExample;
import dev.jbert.data.Tokenizer;
import dev.jbert.dist.GradientAllreduce;
import dev.jbert.dist.ProcessGroup;
import dev.jbert.model.BertModel;
import dev.jbert.model.ModelFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The pretraining loop of spec section 8: for each step, the next batch; forward, {@code mlm + nsp} and backward; one
 * Adam update. It appends each step to {@code metrics.csv}, evaluates, redraws the plot and
 * checkpoints as configured, and stops within a part of a step when asked (Ctrl-C), leaving a valid run folder.
 *
 * <p>With a process group every process runs this loop on the same batches, each training on its share (see
 * {@link TrainingStep}); only rank 0 writes the run folder and evaluates. The processes agree after each step whether
 * to stop (any one asked), so they stop at the same step, and compare a hash of their weights at the start and at
 * every checkpoint.
 */
public final class Pretrainer {
  /**
   * Training and held-out examples, with the tokenizer that encoded them (its files go into the run folder).
   *
   * @param trainOfEpoch the training examples as each epoch sees them (with dynamic masking their masks change)
   */
  public record Data(List<PretrainingExample> train, List<PretrainingExample> valid, Tokenizer vocab,
      LongFunction<List<PretrainingExample>> trainOfEpoch) {
    /** Static masks: every epoch sees {@code train}. */
    public Data(List<PretrainingExample> train, List<PretrainingExample> valid, Tokenizer vocab) {
      this(train, valid, vocab, epoch -> train);
    }
  }

  /** What the loop reports as it goes; the CLI draws it, tests record it. */
  public interface Listener {
    /** Training starts at {@code fromStep} (more than 0 when resumed) of {@code steps}. */
    default void onStart(int fromStep, int steps) {}

    default void onStep(StepMetrics metrics) {}

    /** An evaluation after {@code step} has done {@code done} of {@code total} held-out pairs. */
    default void onEvalProgress(int step, int done, int total) {}

    default void onEval(int step, EvalResult result) {}

    default void onCheckpoint(int step) {}
  }

  private final RunConfig config;
  private final List<String> devices;
  private final String device;
  private final ProcessGroup group; // null: this process alone
  private final boolean writes;

  /** @param devices {@code cpu} or {@code cuda:N}: one device, where this process trains */
  public Pretrainer(RunConfig config, List<String> devices) {
    this(config, devices, null);
  }

  /**
   * @param devices {@code cpu}, {@code cuda:0}, ...: the run's devices, one per process of the machine; the process
   *     of local rank k trains on the k-th (modulo their number: the processes of a CPU share it)
   * @param group the processes training together, or null for this process alone (on one device)
   */
  public Pretrainer(RunConfig config, List<String> devices, ProcessGroup group) {
    this.config = config;
    this.devices = List.copyOf(devices);
    this.device = deviceOf(devices, group);
    this.group = group;
    this.writes = group == null || group.rank() == 0;
  }

  /**
   * The device this process trains on: the only one of {@code devices} alone; in a group, the process of local rank k
   * takes the k-th (modulo their number: the processes of a CPU share it). Several devices without a group are
   * refused: one process trains on one device.
   */
  static String deviceOf(List<String> devices, ProcessGroup group) {
    if (group == null && devices.size() != 1) {
      throw new JbertException("--devices names " + devices.size() + " devices (" + String.join(", ", devices)
          + "), and a process trains on one: start one process per device with --nproc-per-node " + devices.size()
          + ", or pick one device");
    }
    return group == null ? devices.get(0) : devices.get(group.world().localRank() % devices.size());
  }

  /**
   * Runs (or with {@code resume}, continues from the run folder's checkpoint) up to {@code train().steps()} steps.
   * {@code stop} is polled between the parts of a step and between evaluation batches; when it turns true the run
   * writes its checkpoint (of the last whole step), weights, plot and summary, and returns an interrupted summary.
   */
  public TrainingSummary run(Data data, RunFolder run, boolean resume, Listener listener, BooleanSupplier stop) {
    TrainConfig cfg = config.train();
    Checkpoint from;
    BertModel model;
    Adam adam;
    try (PointerScope loading = new PointerScope()) { // the checkpoint's tensors are copied, then freed
      from = resume ? Checkpoint.load(run.file(RunFolder.CHECKPOINT), device) : null;
      if (from != null) {
        model = BertModel.fromParameters(config.model(), device, from.weights());
      } else if (config.init() != null) { // --init: the folder's weights, in this run's config (its dropout)
        Path init = Path.of(config.init());
        model = ModelFiles.fromWeights(config.model(), device, ModelFiles.weights(init, config.model(), device), init);
      } else {
        model = BertModel.create(config.model(), ScalarType.Float, device, cfg.seed());
      }
      adam = new Adam(cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay(), model.parameters());
      if (from != null) {
        adam.restore(from.adamState(), from.adamSteps());
      }
    }
    try (model;
        adam;
        GradientAllreduce gradients = group == null ? null
            : new GradientAllreduce(group, model.parameters(), group.gradientTiming())) {
      int step = 0;
      MetricsLog metrics;
      if (from != null) {
        step = from.step();
        metrics = writes ? MetricsLog.resume(run.file(RunFolder.METRICS), step) : new MetricsLog();
      } else if (writes) {
        data.vocab().writeFiles(run.dir());
        metrics = MetricsLog.create(run.file(RunFolder.METRICS));
      } else {
        metrics = new MetricsLog();
      }
      if (writes) {
        run.writeConfig(config); // a resumed run's config records what the resume changed
      }
      if (group != null) {
        group.checkSameWeights(model.parameters(), "at step " + step + ", before training");
      }
      long position = from == null ? 0 : from.batchPosition();
      BatchIterator batches = new BatchIterator(data.trainOfEpoch(), cfg.batchSize(), cfg.seed(), position);
      MicroBatches parts = new MicroBatches(model, cfg.mlmAllSlots(), cfg.microBatches(),
          cfg.precisionMode().effective(device));
      TrainingStep trainingStep = new TrainingStep(cfg, model, adam, parts, group, gradients);
      boolean evaluates = writes && !data.valid().isEmpty();
      // in a group a stop takes effect between steps, when all ranks have agreed on it: a rank leaving in the middle
      // of a step would leave the others waiting in their all-reduce
      BooleanSupplier partStop = group == null ? stop : () -> false;
      boolean stopAgreed = false;
      boolean interrupted = false;
      listener.onStart(step, cfg.steps());
      while (step < cfg.steps()) {
        if (group == null ? stop.getAsBoolean() : stopAgreed) {
          interrupted = true;
          break;
        }
        HostBatch batch = batches.next();
        long t0 = System.nanoTime();
        StepLosses losses;
        try {
          losses = trainingStep.run(batch, step, new PhaseTimes(), partStop);
          if (group != null) {
            stopAgreed = group.any(stop.getAsBoolean());
          }
        } catch (MicroBatches.StepInterruptedException e) {
          interrupted = true; // the weights are the last whole step's; its batch comes again on resume
          break;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        step++;
        position = batches.position();
        metrics.add(new StepMetrics(step, losses.mlm(), losses.nsp(), cfg.lrAt(step - 1), batch.size() / seconds,
            metrics.elapsedS() + seconds));
        listener.onStep(metrics.last());

        if (step < cfg.steps() && evaluates && cfg.evaluatesAfter(step)) {
          // in a group the others wait for rank 0 at the next step: this evaluation runs to its end
          EvalResult r = evaluate(model, data.valid(), step, listener, partStop);
          if (r == null) {
            interrupted = true;
            break;
          }
          listener.onEval(step, r);
          LossPlot.write(metrics.rows(), run.file(RunFolder.PLOT_PNG), run.file(RunFolder.PLOT_SVG));
        }
        if (step < cfg.steps() && cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0) {
          checkpoint(run, model, adam, step, position, listener);
        }
      }
      checkpoint(run, model, adam, step, position, listener);
      if (writes) {
        ModelFiles.saveWeights(model, run.dir());
        LossPlot.write(metrics.rows(), run.file(RunFolder.PLOT_PNG), run.file(RunFolder.PLOT_SVG));
      }
      EvalResult eval = null;
      if (!interrupted && evaluates && cfg.evaluatesAfter(step)) {
        eval = evaluate(model, data.valid(), step, listener, stop);
        interrupted = eval == null;
        if (eval != null) {
          listener.onEval(step, eval);
        }
      }
      TrainingSummary summary = new TrainingSummary(metrics.meanMlmLoss(), metrics.meanNspLoss(),
          metrics.pairsPerS(), step, metrics.elapsedS(),
          group == null ? devices : List.of(group.size() + " processes on " + String.join(", ", devices)),
          model.parameterCount(),
          eval == null ? Double.NaN : eval.mlmLoss(), eval == null ? Double.NaN : eval.mlmAccuracy(),
          eval == null ? Double.NaN : eval.perplexity(), eval == null ? Double.NaN : eval.nspAccuracy(),
          interrupted);
      if (writes) {
        run.writeSummary(summary);
      }
      return summary;
    }
  }

  /**
   * Saves the checkpoint (rank 0 only). In a group the ranks first compare their weights, so a checkpoint is only
   * written while they agree: a run that drifted apart keeps its last good checkpoint.
   */
  private void checkpoint(RunFolder run, BertModel model, Adam adam, int step, long position, Listener listener) {
    if (group != null) {
      group.checkSameWeights(model.parameters(), "after step " + step);
    }
    if (writes) {
      Checkpoint.save(run.file(RunFolder.CHECKPOINT), model, adam, step, position, config.train().seed());
      listener.onCheckpoint(step);
    }
  }

  private static EvalResult evaluate(BertModel model, List<PretrainingExample> valid, int step, Listener listener,
      BooleanSupplier stop) {
    return Evaluator.evaluate(model, valid, (done, total) -> listener.onEvalProgress(step, done, total), stop);
  }
}
