package dev.jbert.train;

import dev.jbert.JbertException;
import dev.jbert.Precision;
import dev.jbert.Torch;
import dev.jbert.data.HostBatch;
import dev.jbert.model.BertModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Data parallelism within one process, as d2l's run spreads over two GPUs: one replica of the model per device, each runs forward and backward on its slice of the batch, the gradients are summed onto the
 * master copy (device 0), the optimiser updates the master once, and the new weights are copied to the other
 * replicas. With one device the master is the only replica and nothing is copied.
 *
 * <p>Each slice's loss is divided by the whole batch's totals, so the summed gradient is the gradient of the whole
 * batch's loss, as with PyTorch's DataParallel. The same scheme runs with several replicas on one CPU, which is how
 * the tests check it.
 */
public final class DataParallel implements AutoCloseable {
  private final List<BertModel> replicas = new ArrayList<>();
  private final boolean mlmAllSlots;
  private final int microBatches;
  private final Precision precision;

  public DataParallel(BertModel master, List<String> devices, boolean mlmAllSlots) {
    this(master, devices, mlmAllSlots, 1, Precision.FP32);
  }

  /**
   * @param devices {@code cpu}, {@code cuda:0}, ...: the master's first, one replica per entry
   * @param microBatches parts of each device's share, run one after the other with their gradients added up
   * @param precision of the forward passes' matrix products
   */
  public DataParallel(
      BertModel master, List<String> devices, boolean mlmAllSlots, int microBatches, Precision precision) {
    if (devices.isEmpty()) {
      throw new JbertException("no device to train on: pass --devices cpu, gpu, gpu:0,1 or all");
    }
    this.mlmAllSlots = mlmAllSlots;
    this.microBatches = microBatches;
    this.precision = precision;
    replicas.add(master);
    for (String d : devices.subList(1, devices.size())) {
      replicas.add(master.replicate(d));
    }
  }

  public BertModel master() {
    return replicas.get(0);
  }

  /** Every replica, the master first. */
  public List<BertModel> replicas() {
    return List.copyOf(replicas);
  }

  public int size() {
    return replicas.size();
  }

  /**
   * Forward, loss and backward of one batch on every replica; afterwards the master's gradients hold the gradient of
   * the whole batch's loss. Throws when a loss is not finite, before the optimiser could use its gradient, and
   * {@link StepInterruptedException} when {@code stop} turns true between two parts (the gradients are then partial).
   *
   * @param step the 1-based step, for messages
   * @param maskSeed the step's dropout seed: masks are keyed by it and each example's row in {@code batch}
   */
  public StepLosses forwardBackward(
      HostBatch batch, int step, long maskSeed, PhaseTimes times, BooleanSupplier stop) {
    return forwardBackward(batch, BatchParts.weightSum(batch) + PretrainingLoss.WEIGHT_EPS, batch.size(), step,
        maskSeed, times, stop);
  }

  /**
   * As {@link #forwardBackward(HostBatch, int, long, PhaseTimes, BooleanSupplier)} for one process's share of a batch
   * split across processes: the losses are divided by the whole batch's totals, so the shares' gradients and losses
   * add up over the processes to the whole batch's.
   *
   * @param weightTotal the whole batch's sum of MLM weights (+ eps)
   * @param pairs the whole batch's number of sentence pairs
   */
  public StepLosses forwardBackward(HostBatch share, double weightTotal, int pairs, int step, long maskSeed,
      PhaseTimes times, BooleanSupplier stop) {
    List<HostBatch> parts = parts(share);
    double mlm = 0;
    double nsp = 0;
    for (int k = 0; k < parts.size(); k++) {
      if (stop.getAsBoolean()) {
        throw new StepInterruptedException(step);
      }
      // each part's activations are freed as soon as its backward is done
      try (PointerScope scope = new PointerScope()) {
        StepLosses part = ReplicaStep.run(replicas.get(k % replicas.size()), parts.get(k), weightTotal, pairs,
            mlmAllSlots, precision, step, maskSeed, times);
        mlm += part.mlm();
        nsp += part.nsp();
      }
    }
    long t0 = System.nanoTime();
    sumGradientsIntoMaster();
    times.backwardNs += System.nanoTime() - t0;
    return new StepLosses(mlm, nsp);
  }

  /** The parts a batch is run in, part k on replica k mod size(): ordered by length, each cut to its longest example. */
  public List<HostBatch> parts(HostBatch batch) {
    return BatchParts.splitByLength(batch, replicas.size() * microBatches);
  }

  /** As {@link #forwardBackward(HostBatch, int, long, PhaseTimes, BooleanSupplier)}, untimed and not stoppable. */
  public StepLosses forwardBackward(HostBatch batch, int step, long maskSeed) {
    return forwardBackward(batch, step, maskSeed, new PhaseTimes(), () -> false);
  }

  /** Copies the master's weights to every other replica, after the optimiser step. */
  public void broadcastWeights() {
    forEachReplicaParameter((master, replica) -> replica.copy_(master));
  }

  /** Adds every other replica's gradients to the master's, and zeroes them (libtorch accumulates). */
  private void sumGradientsIntoMaster() {
    forEachReplicaParameter((master, replica) -> {
      Tensor g = replica.grad();
      if (!g.defined()) {
        return; // the replica ran no part of this batch
      }
      Tensor moved = Torch.to(g, Torch.deviceName(master));
      Tensor masterGrad = master.mutable_grad();
      if (masterGrad.defined()) {
        masterGrad.add_(moved);
      } else {
        masterGrad.put(moved.clone());
      }
      g.zero_();
    });
  }

  /** Runs the action for each parameter of each replica but the master, in a scope, without recording a graph. */
  private void forEachReplicaParameter(ParameterPairAction action) {
    Map<String, Tensor> master = master().parameters();
    for (int i = 1; i < replicas.size(); i++) {
      try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
        for (Map.Entry<String, Tensor> e : replicas.get(i).parameters().entrySet()) {
          action.apply(master.get(e.getKey()), e.getValue());
        }
      }
    }
  }

  private interface ParameterPairAction {
    void apply(Tensor master, Tensor replica);
  }

  @Override
  public void close() {
    for (int i = 1; i < replicas.size(); i++) {
      replicas.get(i).close();
    }
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
