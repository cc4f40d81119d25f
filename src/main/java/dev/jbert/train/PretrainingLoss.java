package dev.jbert.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.nio.FloatBuffer;

/**
 * The pretraining loss of spec section 8: {@code mlm = sum(ce * w) / (sum(w) + 1e-8)} with per-slot cross-entropy,
 * so padded slots contribute nothing, plus {@code nsp = mean(ce)}.
 *
 * <p>The functions return sums; the caller divides by totals of the whole batch. With data parallelism each device
 * sees a part of the batch, and dividing every part by the whole batch's totals makes the parts' losses (and so their
 * gradients) add up to exactly the loss of the whole batch, as DataParallel's gathered loss does.
 */
public final class PretrainingLoss {
  /** The constant that spec section 8 adds to the weight sum. */
  public static final double WEIGHT_EPS = 1e-8;

  private PretrainingLoss() {}

  /**
   * Per-row cross-entropy of logits (N, C) against int64 labels (N): {@code -log_softmax(logits)[i, label_i]}. The
   * log-softmax is fused (no softmax followed by log), so it stays finite for large logits.
   */
  public static NDArray crossEntropy(NDArray logits, NDArray labels) {
    long n = logits.getShape().get(0);
    return logits.logSoftmax(1).gather(labels.reshape(n, 1), 1).reshape(n).neg();
  }

  /** {@code sum_i ce_i * w_i}; weights may be null, meaning all ones. */
  public static NDArray crossEntropySum(NDArray logits, NDArray labels, NDArray weightsOrNull) {
    NDArray ce = crossEntropy(logits, labels);
    return weightsOrNull == null ? ce.sum() : ce.mul(weightsOrNull).sum();
  }

  /** A sum of per-row cross-entropies and its gradient with respect to the logits, divided by a denominator. */
  public record LossAndGradient(double lossSum, NDArray gradient) {}

  /**
   * Cross-entropy of logits (N, C) against labels (N), summed, with its gradient {@code (softmax - onehot) /
   * denominator} computed alongside, outside the autograd graph. Handing that gradient to the backward pass skips
   * log-softmax's backward and the gather's zero-filled (N, C) scatter: on the MLM head (C = 20256) that is the largest
   * elementwise work of a step.
   *
   * <p>On the CPU the work on the (N, C) array is one softmax and one division: the N label entries are read and
   * changed in place through the tensor's memory, instead of building a one-hot (N, C) array (a comparison, a cast and
   * a subtraction, each a pass over 20 MB a chunk). Elsewhere the one-hot way is used.
   */
  public static LossAndGradient crossEntropyWithGradient(NDArray logits, NDArray labels, double denominator) {
    if (!logits.getDevice().equals(Device.cpu()) || logits.getDataType() != DataType.FLOAT32) {
      return crossEntropyWithGradientOneHot(logits, labels, denominator);
    }
    NDArray detached = logits.stopGradient();
    NDArray gradient = detached.softmax(1); // (N, C), contiguous, no graph
    int n = Math.toIntExact(logits.getShape().get(0));
    int c = Math.toIntExact(logits.getShape().get(1));
    long[] label = labels.toLongArray();
    FloatBuffer p = gradient.toByteBuffer(true).asFloatBuffer(); // the tensor's own memory
    double lossSum = 0;
    for (int i = 0; i < n; i++) {
      int at = i * c + (int) label[i];
      float pLabel = p.get(at);
      // a probability that underflowed would give an infinite loss; its log-softmax is still finite
      lossSum += pLabel >= Float.MIN_NORMAL ? -Math.log(pLabel) : -logSoftmaxAt(detached, i, (int) label[i]);
      p.put(at, pLabel - 1f);
    }
    gradient.divi((float) denominator);
    return new LossAndGradient(lossSum, gradient);
  }

  /** The one-hot way of {@link #crossEntropyWithGradient}, for devices whose memory Java cannot write. */
  static LossAndGradient crossEntropyWithGradientOneHot(NDArray logits, NDArray labels, double denominator) {
    long n = logits.getShape().get(0);
    NDArray logp = logits.stopGradient().logSoftmax(1); // (N, C), no graph
    NDArray picked = logp.gather(labels.reshape(n, 1), 1).reshape(n); // log p of each label
    double lossSum = -picked.sum().getFloat();
    NDArray gradient = logp.exp(); // softmax
    // minus one at each row's label; NDArray.set with an advanced (rows, labels) index would do it in place, but it
    // corrupted memory in DJL 0.36 (NaN losses after tens of steps with glibc's mmap turned off)
    NDManager m = logits.getManager();
    NDArray classes = m.arange(0, logits.getShape().get(1), 1, DataType.INT64).reshape(1, -1);
    gradient.subi(labels.reshape(n, 1).eq(classes).toType(logits.getDataType(), false));
    gradient.divi(denominator);
    return new LossAndGradient(lossSum, gradient);
  }

  /** {@code log_softmax(logits[row])[column]}, in double. */
  private static double logSoftmaxAt(NDArray logits, int row, int column) {
    float[] x = logits.get(row).toFloatArray();
    double max = Double.NEGATIVE_INFINITY;
    for (float v : x) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : x) {
      sum += Math.exp(v - max);
    }
    return x[column] - max - Math.log(sum);
  }

  /** Rows (N, H) of encoder output (B, L, H) picked by flat row index {@code b * L + position}. */
  public static NDArray rows(NDArray encoded, NDArray flatRowIndex) {
    long hidden = encoded.getShape().get(2);
    return encoded.reshape(-1, hidden).get(new NDIndex("{}", flatRowIndex));
  }
}
