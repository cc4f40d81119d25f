package dev.jbert.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.jbert.JbertException;
import dev.jbert.data.HostBatch;
import dev.jbert.model.BertModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Data parallelism done by hand, because DJL's is wrong as shipped (its Adam advances t once per replica): one replica
 * of the model per device, each runs forward and backward on its slice of the batch, the gradients are summed onto the
 * master copy (device 0), the optimiser updates the master once, and the new weights are copied to the other
 * replicas. With one device the master is the only replica and nothing is copied.
 *
 * <p>Each slice's loss is divided by the whole batch's totals, so the summed gradient is the gradient of the whole
 * batch's loss, as with PyTorch's DataParallel. The same scheme runs with several replicas on one CPU, which is how
 * the tests check it.
 */
public final class DataParallel implements AutoCloseable {
  private final List<BertModel> replicas = new ArrayList<>();
  private final List<NDManager> replicaManagers = new ArrayList<>();
  private final NDManager root;
  private final boolean mlmAllSlots;
  private final int microBatches;

  public DataParallel(BertModel master, List<Device> devices, NDManager root, boolean mlmAllSlots) {
    this(master, devices, root, mlmAllSlots, 1);
  }

  /** @param microBatches parts of each device's share, run one after the other with their gradients added up */
  public DataParallel(
      BertModel master, List<Device> devices, NDManager root, boolean mlmAllSlots, int microBatches) {
    if (devices.isEmpty()) {
      throw new JbertException("no device to train on: pass --devices cpu, gpu, gpu:0,1 or all");
    }
    this.root = root;
    this.mlmAllSlots = mlmAllSlots;
    this.microBatches = microBatches;
    replicas.add(master);
    for (Device d : devices.subList(1, devices.size())) {
      NDManager m = root.newSubManager(d);
      replicaManagers.add(m);
      replicas.add(master.replicate(m));
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
    List<HostBatch> parts = parts(batch);
    double weightTotal = BatchParts.weightSum(batch) + PretrainingLoss.WEIGHT_EPS;
    double mlm = 0;
    double nsp = 0;
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      for (int k = 0; k < parts.size(); k++) {
        if (stop.getAsBoolean()) {
          throw new StepInterruptedException(step);
        }
        int replica = k % replicas.size();
        // each part's activations are freed as soon as its backward is done
        try (NDManager m = replicaManager(replica).newSubManager()) {
          StepLosses part = ReplicaStep.run(replicas.get(replica), parts.get(k), m, collector, weightTotal,
              batch.size(), mlmAllSlots, step, maskSeed, times);
          mlm += part.mlm();
          nsp += part.nsp();
        }
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
    forEachReplicaParameter((master, replica, scratch) -> {
      NDArray copy = master.toDevice(replica.getDevice(), true); // an alias on the same device: read only
      copy.attach(scratch);
      replica.muli(0).addi(copy);
    });
  }

  /** Adds every other replica's gradients to the master's, and zeroes them (libtorch accumulates). */
  private void sumGradientsIntoMaster() {
    forEachReplicaParameter((master, replica, scratch) -> {
      NDArray g = replica.getGradient();
      g.attach(scratch);
      NDArray moved = g.toDevice(master.getDevice(), true);
      moved.attach(scratch);
      NDArray masterGrad = master.getGradient();
      masterGrad.attach(scratch);
      masterGrad.addi(moved);
      g.subi(g);
    });
  }

  /** Runs the action for each parameter of each replica but the master, with a scratch manager for temporaries. */
  private void forEachReplicaParameter(ParameterPairAction action) {
    Map<String, NDArray> master = master().parameters();
    for (int i = 1; i < replicas.size(); i++) {
      try (NDManager scratch = replicaManagers.get(i - 1).newSubManager()) {
        for (Map.Entry<String, NDArray> e : replicas.get(i).parameters().entrySet()) {
          action.apply(master.get(e.getKey()), e.getValue(), scratch);
        }
      }
    }
  }

  private interface ParameterPairAction {
    void apply(NDArray master, NDArray replica, NDManager scratch);
  }

  private NDManager replicaManager(int i) {
    return i == 0 ? root : replicaManagers.get(i - 1);
  }

  @Override
  public void close() {
    for (int i = 1; i < replicas.size(); i++) {
      replicas.get(i).close();
    }
    replicaManagers.forEach(NDManager::close);
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
