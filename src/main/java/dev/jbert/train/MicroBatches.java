package dev.jbert.train;

import dev.jbert.JbertException;
import dev.jbert.Precision;
import dev.jbert.data.HostBatch;
import dev.jbert.model.BertModel;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Forward and backward of one batch on one model, in parts (micro-batches) run one after the other, each adding to the
 * gradients: the whole batch's gradient with one part's activations in memory. Each part's loss is divided by the
 * whole batch's totals, so the summed gradient is the gradient of the whole batch's loss. Several devices are several
 * processes, each running this on its share of the batch ({@link TrainingStep}).
 */
public final class MicroBatches {
  private final BertModel model;
  private final boolean mlmAllSlots;
  private final int microBatches;
  private final Precision precision;

  public MicroBatches(BertModel model, boolean mlmAllSlots) {
    this(model, mlmAllSlots, 1, Precision.FP32);
  }

  /**
   * @param microBatches parts of each batch, run one after the other with their gradients added up
   * @param precision of the forward passes' matrix products
   */
  public MicroBatches(BertModel model, boolean mlmAllSlots, int microBatches, Precision precision) {
    this.model = model;
    this.mlmAllSlots = mlmAllSlots;
    this.microBatches = microBatches;
    this.precision = precision;
  }

  /**
   * Forward, loss and backward of one batch; afterwards the model's gradients hold the gradient of the whole batch's
   * loss. Throws when a loss is not finite, before the optimiser could use its gradient, and
   * {@link StepInterruptedException} when {@code stop} turns true between two parts (the gradients are then partial).
   *
   * @param step the 1-based step, for messages
   * @param maskSeed the step's dropout seed: masks are keyed by it and each example's row in {@code batch}
   */
  public StepLosses forwardBackward(
      HostBatch batch, int step, long maskSeed, PhaseTimes times, BooleanSupplier stop) {
    return forwardBackward(batch, BatchParts.weightSum(batch) + PretrainingLoss.WEIGHT_EPS, batch.size(), step,
        maskSeed, times, stop, root -> {});
  }

  /**
   * As {@link #forwardBackward(HostBatch, int, long, PhaseTimes, BooleanSupplier)} for one process's share of a batch
   * split across processes: the losses are divided by the whole batch's totals, so the shares' gradients and losses
   * add up over the processes to the whole batch's.
   *
   * @param weightTotal the whole batch's sum of MLM weights (+ eps)
   * @param pairs the whole batch's number of sentence pairs
   * @param beforeLastBackward gets the tensor that the step's last backward starts from, just before it starts
   */
  public StepLosses forwardBackward(HostBatch share, double weightTotal, int pairs, int step, long maskSeed,
      PhaseTimes times, BooleanSupplier stop, Consumer<Tensor> beforeLastBackward) {
    List<HostBatch> parts = parts(share);
    double mlm = 0;
    double nsp = 0;
    for (int k = 0; k < parts.size(); k++) {
      if (stop.getAsBoolean()) {
        throw new StepInterruptedException(step);
      }
      // each part's activations are freed as soon as its backward is done
      try (PointerScope scope = new PointerScope()) {
        StepLosses part = ReplicaStep.run(model, parts.get(k), weightTotal, pairs, mlmAllSlots, precision, step,
            maskSeed, times, k == parts.size() - 1 ? beforeLastBackward : root -> {});
        mlm += part.mlm();
        nsp += part.nsp();
      }
    }
    return new StepLosses(mlm, nsp);
  }

  /** The parts a batch is run in: ordered by length, each cut to its longest example. */
  public List<HostBatch> parts(HostBatch batch) {
    return BatchParts.splitByLength(batch, microBatches);
  }

  /** As {@link #forwardBackward(HostBatch, int, long, PhaseTimes, BooleanSupplier)}, untimed and not stoppable. */
  public StepLosses forwardBackward(HostBatch batch, int step, long maskSeed) {
    return forwardBackward(batch, step, maskSeed, new PhaseTimes(), () -> false);
  }

  /** A stop was requested in the middle of a step; the weights are still those of the step before. */
  public static final class StepInterruptedException extends RuntimeException {
    public StepInterruptedException(int step) {
      super("step " + step + " interrupted", null, false, false);
    }
  }

  /** The loss of a step was NaN or infinite; the weights are still those of the step before. */
  public static final class NonFiniteLossException extends JbertException {
    public NonFiniteLossException(int step, StepLosses losses) {
      super(String.format("the loss is not finite at step %d (mlm %s, nsp %s): lower --lr and start again;"
          + " the run folder keeps the last good checkpoint", step, losses.mlm(), losses.nsp()));
    }
  }
}
