package dev.jbert.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

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

  /** Rows (N, H) of encoder output (B, L, H) picked by flat row index {@code b * L + position}. */
  public static NDArray rows(NDArray encoded, NDArray flatRowIndex) {
    long hidden = encoded.getShape().get(2);
    return encoded.reshape(-1, hidden).get(new NDIndex("{}", flatRowIndex));
  }
}
