package dev.jbert.train;

import dev.jbert.Torch;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

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

  /** torch's {@code reduction='none'}. */
  private static final long NO_REDUCTION = 0;

  private PretrainingLoss() {}

  /** Per-row cross-entropy of logits (N, C) against int64 labels (N), in fp32 or fp64 (libtorch's fused kernel). */
  public static Tensor crossEntropy(Tensor logits, Tensor labels) {
    Tensor in = Torch.dtype(logits) == ScalarType.Double ? logits : logits.to(ScalarType.Float);
    return torch.cross_entropy_loss(in, labels, new TensorOptional(), NO_REDUCTION, -100, 0.0);
  }

  /** {@code sum_i ce_i * w_i}; weights may be null, meaning all ones. */
  public static Tensor crossEntropySum(Tensor logits, Tensor labels, Tensor weightsOrNull) {
    Tensor ce = crossEntropy(logits, labels);
    return weightsOrNull == null ? ce.sum() : ce.mul(weightsOrNull).sum();
  }

  /** A sum of per-row cross-entropies and its gradient with respect to the logits, divided by a denominator. */
  public record LossAndGradient(double lossSum, Tensor gradient) {}

  /**
   * Cross-entropy of logits (N, C) against labels (N), summed, with its gradient {@code (softmax - onehot) /
   * denominator} computed alongside, outside the autograd graph. Handing that gradient to the backward pass skips
   * log-softmax's backward and the zero-filled (N, C) scatter of the gather: on the MLM head (C = 20256) that is the
   * largest elementwise work of a step.
   *
   * <p>On the CPU the work on the (N, C) array is one softmax and one division: the N label entries are read and
   * changed in place through the tensor's memory, instead of building a one-hot (N, C) array. Elsewhere the one-hot
   * way is used, and for float64 logits (the gradient checks). The gradient is fp32 for fp32 and bf16 logits.
   */
  public static LossAndGradient crossEntropyWithGradient(Tensor logits, Tensor labels, double denominator) {
    if (!Torch.onCpu(logits) || Torch.dtype(logits) == ScalarType.Double) {
      return crossEntropyWithGradientOneHot(logits, labels, denominator);
    }
    Tensor detached = logits.detach().to(ScalarType.Float);
    Tensor gradient = torch.softmax(detached, 1).contiguous(); // (N, C), no graph
    int n = Math.toIntExact(logits.size(0));
    int c = Math.toIntExact(logits.size(1));
    long[] label = Torch.toLongs(labels);
    double lossSum = 0;
    try (FloatPointer p = new FloatPointer(gradient.data_ptr())) { // the tensor's own memory
      for (int i = 0; i < n; i++) {
        long at = (long) i * c + label[i];
        float pLabel = p.get(at);
        // a probability that underflowed would give an infinite loss; its log-softmax is still finite
        lossSum += pLabel >= Float.MIN_NORMAL ? -Math.log(pLabel) : -logSoftmaxAt(detached, i, (int) label[i]);
        p.put(at, pLabel - 1f);
      }
    }
    gradient.div_(Torch.scalar(denominator));
    return new LossAndGradient(lossSum, gradient);
  }

  /** The one-hot way of {@link #crossEntropyWithGradient}, for devices whose memory Java cannot write. */
  static LossAndGradient crossEntropyWithGradientOneHot(Tensor logits, Tensor labels, double denominator) {
    Tensor detached = Torch.dtype(logits) == ScalarType.Double ? logits.detach() : logits.detach().to(ScalarType.Float);
    Tensor logp = torch.log_softmax(detached, 1); // (N, C), no graph
    double lossSum = -logp.gather(1, labels.reshape(-1, 1)).sum().item_double();
    Tensor oneHot = torch.zeros_like(logp).scatter_(1, labels.reshape(-1, 1), Torch.scalar(1));
    Tensor gradient = logp.exp().sub_(oneHot).div_(Torch.scalar(denominator));
    return new LossAndGradient(lossSum, gradient);
  }

  /** {@code log_softmax(logits[row])[column]}, in double. */
  private static double logSoftmaxAt(Tensor logits, int row, int column) {
    double[] x = Torch.toDoubles(logits.select(0, row));
    double max = Double.NEGATIVE_INFINITY;
    for (double v : x) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : x) {
      sum += Math.exp(v - max);
    }
    return x[column] - max - Math.log(sum);
  }

  /** Rows (N, H) of encoder output (B, L, H) picked by flat row index {@code b * L + position}. */
  public static Tensor rows(Tensor encoded, Tensor flatRowIndex) {
    return encoded.reshape(-1, encoded.size(2)).index_select(0, flatRowIndex);
  }
}
