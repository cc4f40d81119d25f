package dev.jbert.data;

import org.bytedeco.pytorch.Tensor;

/**
 * The seven named tensors of spec section 6 (B = batch size, T = max_len, P = max_preds).
 *
 * @param tokens (B, T) int64
 * @param segments (B, T) int64
 * @param validLens (B) float32
 * @param predPositions (B, P) int64
 * @param mlmWeights (B, P) float32
 * @param mlmLabels (B, P) int64
 * @param nspLabels (B) int64, 1 = is next
 */
public record PretrainingBatch(
    Tensor tokens, Tensor segments, Tensor validLens, Tensor predPositions, Tensor mlmWeights, Tensor mlmLabels,
    Tensor nspLabels) {

  /** B, the number of examples. */
  public int size() {
    return (int) tokens.size(0);
  }
}
