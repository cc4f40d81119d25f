package dev.jbert.train;

import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Adam exactly as {@code torch.optim.Adam} computes it on one tensor at a time (no weight decay, no amsgrad), with the
 * same in-place operations in the same order:
 *
 * <pre>
 *   m.lerp_(g, 1 - b1);   v.mul_(b2).addcmul_(g, g, 1 - b2)
 *   w.addcdiv_(m, v.sqrt() / sqrt(1 - b2^t) + eps, -lr / (1 - b1^t))
 * </pre>
 *
 * Not libtorch's {@code torch::optim::Adam}: its state can only be saved in libtorch's archive format, and jbert's
 * checkpoints keep m, v and t as safetensors beside the weights (run folders of earlier versions load unchanged). It
 * zeroes the gradients it consumed, because libtorch accumulates them across backward passes.
 *
 * <p>With a weight decay it is {@code torch.optim.AdamW}: first {@code w.mul_(1 - lr * decay)}, then the same update.
 * Only tensors of two or more dimensions (weight matrices, embeddings) decay, never biases and LayerNorm parameters
 * (BERT's {@code exclude_from_weight_decay = ["LayerNorm", "layer_norm", "bias"]}, which are exactly the 1-D ones).
 */
public final class Adam implements AutoCloseable {
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float weightDecay;
  private final Map<String, Tensor> m = new LinkedHashMap<>();
  private final Map<String, Tensor> v = new LinkedHashMap<>();
  private long t;

  /** Creates the zero state for every parameter up front, on the parameter's device. */
  public Adam(float beta1, float beta2, float eps, Map<String, Tensor> parameters) {
    this(beta1, beta2, eps, 0f, parameters);
  }

  /** AdamW when {@code weightDecay} > 0. */
  public Adam(float beta1, float beta2, float eps, float weightDecay, Map<String, Tensor> parameters) {
    this.weightDecay = weightDecay;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    try (PointerScope scope = new PointerScope()) {
      parameters.forEach((name, p) -> {
        m.put(name, Torch.keep(torch.zeros_like(p).detach()));
        v.put(name, Torch.keep(torch.zeros_like(p).detach()));
      });
    }
  }

  /** One update of every parameter from its gradient, which is then zeroed. */
  public void step(Map<String, Tensor> parameters, float lr) {
    t++;
    double bias1 = 1 - Math.pow(beta1, t);
    double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
    try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
      for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
        Tensor w = e.getValue();
        Tensor g = w.grad();
        if (!g.defined()) {
          continue; // the parameter took no part in this step
        }
        if (weightDecay > 0 && w.dim() >= 2) {
          w.mul_(Torch.scalar(1 - (double) lr * weightDecay));
        }
        Tensor mi = m.get(e.getKey());
        Tensor vi = v.get(e.getKey());
        mi.lerp_(g, Torch.scalar(1 - beta1));
        vi.mul_(Torch.scalar(beta2)).addcmul_(g, g, Torch.scalar(1 - beta2));
        Tensor denom = vi.sqrt().div_(Torch.scalar(bias2Sqrt)).add_(Torch.scalar(eps));
        w.addcdiv_(mi, denom, Torch.scalar(-lr / bias1));
        g.zero_();
      }
    }
  }

  /**
   * torch.nn.utils.clip_grad_norm_: when the L2 norm of all gradients together exceeds {@code maxNorm}, every gradient
   * is scaled by maxNorm / (norm + 1e-6). Returns the norm before clipping.
   */
  public static double clipGradNorm(Map<String, Tensor> parameters, double maxNorm) {
    try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
      double sumSquares = 0;
      for (Tensor w : parameters.values()) {
        Tensor g = w.grad();
        if (g.defined()) {
          sumSquares += g.to(ScalarType.Double).square().sum().item_double();
        }
      }
      double norm = Math.sqrt(sumSquares);
      double coef = maxNorm / (norm + 1e-6);
      if (coef < 1) {
        for (Tensor w : parameters.values()) {
          Tensor g = w.grad();
          if (g.defined()) {
            g.mul_(Torch.scalar(coef));
          }
        }
      }
      return norm;
    }
  }

  /** Number of updates made so far: torch's {@code state['step']}. */
  public long steps() {
    return t;
  }

  /** The first and second moments under the names {@code adam.m.<param>} and {@code adam.v.<param>}. */
  public Map<String, Tensor> state() {
    Map<String, Tensor> s = new LinkedHashMap<>();
    m.forEach((k, a) -> s.put("adam.m." + k, a));
    v.forEach((k, a) -> s.put("adam.v." + k, a));
    return s;
  }

  /** Restores moments saved by {@link #state()} and the step count. */
  public void restore(Map<String, Tensor> saved, long steps) {
    restoreInto(m, "adam.m.", saved);
    restoreInto(v, "adam.v.", saved);
    t = steps;
  }

  private static void restoreInto(Map<String, Tensor> target, String prefix, Map<String, Tensor> saved) {
    try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
      for (Map.Entry<String, Tensor> e : target.entrySet()) {
        Tensor from = saved.get(prefix + e.getKey());
        if (from == null || !Arrays.equals(Torch.shape(from), Torch.shape(e.getValue()))) {
          throw new JbertException("the checkpoint's optimizer state lacks " + prefix + e.getKey()
              + " or has another shape: it was written by another model; start a new run instead of --resume");
        }
        e.getValue().copy_(from); // into the state's own memory, on its device and in its dtype
      }
    }
  }

  @Override
  public void close() {
    m.values().forEach(Tensor::close);
    v.values().forEach(Tensor::close);
  }
}
