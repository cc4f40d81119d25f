package dev.jbert.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.jbert.JbertException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam exactly as {@code torch.optim.Adam} computes it (no weight decay, no amsgrad):
 *
 * <pre>
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 *
 * DJL's own Adam adds eps before the bias correction (so its eps is larger early on) and cannot save its state; this
 * one keeps m, v and t where a checkpoint can read and restore them. The update runs in place on the weights, so call
 * it outside a gradient collector, on a thread with grad mode off. It zeroes the gradients it consumed, because
 * libtorch accumulates them across backward passes.
 */
public final class Adam implements AutoCloseable {
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final NDManager stateManager;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long t;

  /** Creates the zero state for every parameter up front, on the parameter's device. */
  public Adam(float beta1, float beta2, float eps, Map<String, NDArray> parameters, NDManager parent) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.stateManager = parent.newSubManager();
    parameters.forEach((name, p) -> {
      m.put(name, stateManager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      v.put(name, stateManager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
    });
  }

  /** One update of every parameter from its gradient, which is then zeroed. */
  public void step(Map<String, NDArray> parameters, float lr) {
    t++;
    double bias1 = 1 - Math.pow(beta1, t);
    double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
    float stepSize = (float) (lr / bias1);
    try (NDManager scratch = stateManager.newSubManager()) {
      for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
        NDArray w = e.getValue();
        NDArray g = w.getGradient();
        g.attach(scratch); // the handle (not the gradient storage) is freed with the scratch manager
        NDArray mi = m.get(e.getKey());
        NDArray vi = v.get(e.getKey());
        mi.muli(beta1).addi(g.mul(1 - beta1));
        vi.muli(beta2).addi(g.mul(g).muli(1 - beta2));
        // results of ops on state arrays land in the state manager: move them to scratch right away
        NDArray denom = scratch(vi.sqrt(), scratch).divi((float) bias2Sqrt).addi(eps);
        w.subi(scratch(mi.div(denom), scratch).muli(stepSize));
        g.subi(g);
      }
    }
  }

  private static NDArray scratch(NDArray a, NDManager scratch) {
    a.attach(scratch);
    return a;
  }

  /** Number of updates made so far: torch's {@code state['step']}. */
  public long steps() {
    return t;
  }

  /** The first and second moments under the names {@code adam.m.<param>} and {@code adam.v.<param>}. */
  public Map<String, NDArray> state() {
    Map<String, NDArray> s = new LinkedHashMap<>();
    m.forEach((k, a) -> s.put("adam.m." + k, a));
    v.forEach((k, a) -> s.put("adam.v." + k, a));
    return s;
  }

  /** Restores moments saved by {@link #state()} and the step count. */
  public void restore(Map<String, NDArray> saved, long steps) {
    restoreInto(m, "adam.m.", saved);
    restoreInto(v, "adam.v.", saved);
    t = steps;
  }

  private void restoreInto(Map<String, NDArray> target, String prefix, Map<String, NDArray> saved) {
    for (Map.Entry<String, NDArray> e : target.entrySet()) {
      NDArray from = saved.get(prefix + e.getKey());
      if (from == null || !from.getShape().equals(e.getValue().getShape())) {
        throw new JbertException("the checkpoint's optimizer state lacks " + prefix + e.getKey()
            + " or has another shape: it was written by another model; start a new run instead of --resume");
      }
      // libtorch's to() returns an alias when the device already matches, so copy explicitly: the saved arrays may be
      // another optimiser's live state
      Device device = e.getValue().getDevice();
      NDArray copy = from.getDevice().equals(device) ? from.duplicate() : from.toDevice(device, false);
      copy.attach(stateManager);
      e.getValue().close();
      e.setValue(copy);
    }
  }

  @Override
  public void close() {
    stateManager.close();
  }
}
