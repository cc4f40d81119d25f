package dev.jbert.dist;

import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.EdgeVector;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Node;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.VoidTensorHook;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Sums the gradients of every parameter over the ranks, as DistributedDataParallel does: the gradients are copied
 * into flat float32 buckets, in reverse parameter order (roughly the order backward produces them), and each bucket
 * is all-reduced in one call. One call per bucket instead of one per parameter: each call has a fixed cost (a round of
 * messages around the ring) that small tensors would pay many times.
 *
 * <p>{@link Timing#OVERLAPPED} (the default) starts a bucket's all-reduce during the step's last backward, as soon as
 * all its gradients are final, so that sending overlaps with computing the rest: a hook on each parameter sees its
 * gradient arrive. Only the last backward of a step arms the hooks ({@link #beforeLastBackward}): the backwards of the
 * earlier micro-batches (and of the MLM head's chunks) only add to the gradients, as DDP's {@code no_sync} does. A
 * parameter that the last backward does not reach (the MLM head, whose chunks ran their backward already) is final
 * when it is armed; which ones those are is read from the autograd graph, as DDP's {@code find_unused_parameters}
 * does. {@link Timing#AFTER_BACKWARD} sends everything after backward, in buckets as large as allowed.
 *
 * <p>The buckets live on the CPU (Gloo's home; a GPU's gradients are copied there and back) and are kept from step to
 * step. Every rank starts the same buckets in the same order, whichever gradients arrive first: bucket k is started
 * only after bucket k - 1, as DDP does, because Gloo pairs the ranks' calls by their order.
 */
public final class GradientAllreduce implements AutoCloseable {
  /** When the gradients are sent. */
  public enum Timing {
    OVERLAPPED,
    AFTER_BACKWARD;

    /** As on the command line: {@code overlapped}, {@code after-backward}. */
    public String flag() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Timing parse(String s) {
      for (Timing t : values()) {
        if (t.flag().equals(s.trim().toLowerCase(Locale.ROOT))) {
          return t;
        }
      }
      throw new JbertException("--allreduce " + s + " is not understood: use overlapped or after-backward");
    }
  }

  /** Elements per bucket at most after backward: 64 MB of float32, so that a large model needs no second copy. */
  static final long AFTER_BACKWARD_BUCKET = 16L << 20;
  /** Overlapped: at most DDP's 25 MB a bucket ... */
  static final long OVERLAP_BUCKET_MAX = (25L << 20) / Float.BYTES;
  /** ... and at least 1 MB, so that a small model does not pay a call's fixed cost per few kilobytes ... */
  static final long OVERLAP_BUCKET_MIN = (1L << 20) / Float.BYTES;
  /** ... and between them the model in this many buckets: one bucket would wait for the whole backward. */
  static final int OVERLAP_BUCKETS = 8;

  private final ProcessGroup group;
  private final Timing timing;
  private final List<Tensor> params = new ArrayList<>(); // bucket order: the reverse of the model's
  private final int[] bucketOf;
  private final long[] offsetOf;
  private final List<Tensor> buckets = new ArrayList<>();
  private final int[] parameterCount; // per bucket
  // overlapped only: each parameter's gradient accumulator (held, so that it stays the one the graphs use) and hook
  private final List<Node> accumulators = new ArrayList<>();
  private final List<VoidTensorHook> hooks = new ArrayList<>();
  private final int[] hookIds;

  // the step under way
  private boolean armed;
  private final boolean[] ready;
  private final int[] missing; // per bucket: its parameters not yet ready
  private int started; // buckets whose sum is under way, always the first ones
  private final List<ProcessGroup.Pending> pending = new ArrayList<>();
  private RuntimeException hookFailure;
  private int startedDuringBackward; // of the last step

  public GradientAllreduce(ProcessGroup group, Map<String, Tensor> parameters, Timing timing) {
    this(group, parameters, timing, timing == Timing.OVERLAPPED ? overlapBucket(parameters)
        : AFTER_BACKWARD_BUCKET);
  }

  /** @param bucketElements elements per bucket at most (a larger gradient gets a bucket of its own) */
  public GradientAllreduce(ProcessGroup group, Map<String, Tensor> parameters, Timing timing, long bucketElements) {
    this.group = group;
    this.timing = timing;
    params.addAll(parameters.values());
    java.util.Collections.reverse(params);
    int n = params.size();
    bucketOf = new int[n];
    offsetOf = new long[n];
    ready = new boolean[n];
    hookIds = new int[n];
    List<Long> sizes = new ArrayList<>();
    long filled = 0;
    for (int i = 0; i < n; i++) {
      long size = params.get(i).numel();
      // consecutive gradients while they fit; a gradient larger than a bucket gets one of its own
      if (filled > 0 && filled + size > bucketElements) {
        sizes.add(filled);
        filled = 0;
      }
      bucketOf[i] = sizes.size();
      offsetOf[i] = filled;
      filled += size;
    }
    if (n > 0) {
      sizes.add(filled);
    }
    parameterCount = new int[sizes.size()];
    for (int b : bucketOf) {
      parameterCount[b]++;
    }
    missing = parameterCount.clone();
    try (PointerScope scope = new PointerScope()) {
      for (long size : sizes) {
        buckets.add(Torch.keep(Torch.empty(ScalarType.Float, size)));
      }
      if (timing == Timing.OVERLAPPED) {
        for (int i = 0; i < n; i++) {
          Tensor p = params.get(i);
          // a leaf's first operation links it to its gradient accumulator, the node that the graphs' edges lead to
          accumulators.add(Torch.keep(p.reshape(-1).grad_fn().next_edges().get(0).function()));
          int index = i;
          // kept until close(): libtorch calls it through a pointer to native code that lives as long as this object
          VoidTensorHook hook = Torch.keep(new VoidTensorHook() {
            @Override
            public void call(TensorBase gradient) {
              arrived(index, gradient);
            }
          });
          hooks.add(hook);
          hookIds[i] = p.register_hook(hook);
        }
      }
    }
  }

  /** DDP's bounds, and several buckets between them, so that the first ones can go while backward runs. */
  private static long overlapBucket(Map<String, Tensor> parameters) {
    long total = parameters.values().stream().mapToLong(Tensor::numel).sum();
    return Math.max(OVERLAP_BUCKET_MIN, Math.min(OVERLAP_BUCKET_MAX, total / OVERLAP_BUCKETS));
  }

  public Timing timing() {
    return timing;
  }

  /** How many buckets the gradients travel in. */
  public int bucketCount() {
    return buckets.size();
  }

  /**
   * Called just before the step's last backward, of {@code root}: from now on a gradient that arrives is final.
   * Parameters that this backward does not reach are final already, and their buckets may start at once. After
   * backward: nothing to do here.
   */
  public synchronized void beforeLastBackward(Tensor root) {
    if (timing != Timing.OVERLAPPED) {
      return;
    }
    try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
      Set<Long> reached = reachedNodes(root);
      for (int i = 0; i < params.size(); i++) {
        if (!ready[i] && !reached.contains(accumulators.get(i).address())) {
          copyFinal(i);
        }
      }
      armed = true;
      startReady();
    }
  }

  /** The addresses of the autograd nodes that a backward from {@code root} runs. */
  private static Set<Long> reachedNodes(Tensor root) {
    Set<Long> seen = new HashSet<>();
    Deque<Node> todo = new ArrayDeque<>();
    Node start = root.grad_fn();
    if (start != null && !start.isNull()) {
      todo.push(start);
    }
    while (!todo.isEmpty()) {
      EdgeVector edges = todo.pop().next_edges();
      for (long k = 0, n = edges.size(); k < n; k++) {
        Node next = edges.get(k).function();
        if (next != null && !next.isNull() && seen.add(next.address())) {
          todo.push(next);
        }
      }
    }
    return seen;
  }

  /**
   * Parameter {@code i}'s gradient of this backward arrives (before libtorch adds it to the parameter's gradient): its
   * sum with what the earlier backwards left is final. Runs on autograd's thread; a failure is kept for
   * {@link #finish}, since an exception must not cross into libtorch.
   */
  private synchronized void arrived(int i, TensorBase gradient) {
    if (!armed || hookFailure != null) {
      return;
    }
    try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
      if (bucketOf[i] < started) {
        throw new IllegalStateException("the gradient of parameter " + i + " arrived after its bucket was sent: the"
            + " autograd graph reached it although the search said it would not");
      }
      Tensor slice = slice(i);
      slice.copy_(new Tensor(gradient).reshape(-1));
      Tensor earlier = params.get(i).grad();
      if (earlier.defined()) {
        slice.add_(Torch.to(earlier, "cpu").reshape(-1));
      }
      markReady(i);
      startReady();
    } catch (RuntimeException e) {
      hookFailure = e;
    }
  }

  /**
   * After the step's backwards (or none, on a rank without examples in this step): sends what has not gone yet, waits
   * for every bucket, and replaces each parameter's gradient by its sum over the ranks. A parameter without a gradient
   * (it took no part in this rank's share) counts as zero, so every rank sends the same layout.
   */
  public synchronized void finish() {
    armed = false;
    startedDuringBackward = started;
    try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
      for (int i = 0; i < params.size(); i++) {
        if (!ready[i]) {
          copyFinal(i);
        }
      }
      startReady();
      for (ProcessGroup.Pending p : pending) {
        p.await();
      }
      if (hookFailure != null) {
        throw new IllegalStateException("summing the gradients during backward failed", hookFailure);
      }
      for (int i = 0; i < params.size(); i++) {
        Tensor p = params.get(i);
        Tensor sum = slice(i).view(Torch.shape(p));
        Tensor g = p.mutable_grad();
        if (g.defined()) {
          g.copy_(sum);
        } else {
          g.put(Torch.to(sum, Torch.deviceName(p)).clone());
        }
      }
    } finally {
      pending.clear();
      Arrays.fill(ready, false);
      System.arraycopy(parameterCount, 0, missing, 0, missing.length);
      started = 0;
      hookFailure = null;
    }
  }

  /** Of the last step's buckets, how many were sent before {@link #finish}, while backward ran. */
  public int bucketsDuringBackward() {
    return startedDuringBackward;
  }

  /** Copies parameter {@code i}'s gradient as it stands (zero when it has none) into its bucket; it is final. */
  private void copyFinal(int i) {
    Tensor g = params.get(i).grad();
    Tensor slice = slice(i);
    if (g.defined()) {
      slice.copy_(g.reshape(-1));
    } else {
      slice.zero_();
    }
    markReady(i);
  }

  private void markReady(int i) {
    ready[i] = true;
    missing[bucketOf[i]]--;
  }

  /** Starts the buckets that are complete, in order, up to the first that is not. */
  private void startReady() {
    while (started < buckets.size() && missing[started] == 0) {
      pending.add(group.sumAsync(buckets.get(started), "the gradients"));
      started++;
    }
  }

  private Tensor slice(int i) {
    return buckets.get(bucketOf[i]).narrow(0, offsetOf[i], params.get(i).numel());
  }

  @Override
  public synchronized void close() {
    for (int i = 0; i < hooks.size(); i++) {
      params.get(i).remove_hook(hookIds[i]); // before the hook's native code goes
      hooks.get(i).close();
    }
    hooks.clear();
    accumulators.forEach(Node::close);
    accumulators.clear();
    buckets.forEach(Tensor::close);
    buckets.clear();
  }
}
