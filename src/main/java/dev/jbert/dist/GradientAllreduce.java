package dev.jbert.dist;

import dev.jbert.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Sums the gradients of every parameter over the ranks, as DistributedDataParallel does after backward: the gradients
 * are copied one after the other into flat float32 buckets, each bucket is all-reduced in one call, and the sums are
 * copied back. One call per bucket instead of one per parameter: the d2l model's 45 gradients travel as one 22.5 MB
 * message, and each call has a fixed cost (a round of messages around the ring) that small tensors would pay many
 * times. Buckets are capped so that a large model does not need a second copy of all its gradients at once.
 *
 * <p>The buckets live on the CPU (Gloo's home; a GPU's gradients are copied there and back) and are kept from step to
 * step, since the parameters and so the buckets' sizes do not change.
 */
public final class GradientAllreduce implements AutoCloseable {
  /** Elements per bucket at most: 64 MB of float32. */
  static final long BUCKET_ELEMENTS = 16L << 20;

  private final ProcessGroup group;
  private final long bucketElements;
  private final List<Tensor> buckets = new ArrayList<>();

  public GradientAllreduce(ProcessGroup group) {
    this(group, BUCKET_ELEMENTS);
  }

  GradientAllreduce(ProcessGroup group, long bucketElements) {
    this.group = group;
    this.bucketElements = bucketElements;
  }

  /**
   * Replaces each parameter's gradient by its sum over the ranks. A parameter without a gradient (it took no part in
   * this rank's share) gets a zero one first, so every rank sends the same layout.
   */
  public void sum(Map<String, Tensor> parameters) {
    try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
      List<Tensor> grads = new ArrayList<>();
      for (Tensor p : parameters.values()) {
        if (!p.grad().defined()) {
          p.mutable_grad().put(torch.zeros_like(p));
        }
        grads.add(p.grad());
      }
      int first = 0;
      for (int b = 0; first < grads.size(); b++) {
        int end = first;
        long n = 0;
        // consecutive gradients while they fit; a gradient larger than a bucket gets one of its own
        while (end < grads.size() && (end == first || n + grads.get(end).numel() <= bucketElements)) {
          n += grads.get(end).numel();
          end++;
        }
        Tensor flat = bucket(b, n);
        long offset = 0;
        for (Tensor g : grads.subList(first, end)) {
          flat.narrow(0, offset, g.numel()).copy_(g.reshape(-1));
          offset += g.numel();
        }
        group.sum(flat, "the gradients");
        offset = 0;
        for (Tensor g : grads.subList(first, end)) {
          g.copy_(flat.narrow(0, offset, g.numel()).view(Torch.shape(g)));
          offset += g.numel();
        }
        first = end;
      }
    }
  }

  /** Bucket {@code b}, of {@code n} elements, made on first use (or when the layout changed) and kept. */
  private Tensor bucket(int b, long n) {
    if (b == buckets.size()) {
      buckets.add(null);
    }
    Tensor t = buckets.get(b);
    if (t == null || t.numel() != n) {
      if (t != null) {
        t.close();
      }
      try (PointerScope scope = new PointerScope()) {
        t = Torch.keep(Torch.empty(ScalarType.Float, n));
      }
      buckets.set(b, t);
    }
    return t;
  }

  @Override
  public void close() {
    buckets.forEach(Tensor::close);
    buckets.clear();
  }
}
