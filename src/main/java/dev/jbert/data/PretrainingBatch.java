package dev.jbert.data;

import ai.djl.ndarray.NDArray;

/**
 * The seven named tensors of spec section 6 (B = batch size, T = max_len, P = max_preds). Closing it closes them.
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
    NDArray tokens, NDArray segments, NDArray validLens, NDArray predPositions, NDArray mlmWeights, NDArray mlmLabels,
    NDArray nspLabels) implements AutoCloseable {

  /** B, the number of examples. */
  public int size() {
    return (int) tokens.getShape().get(0);
  }

  @Override
  public void close() {
    tokens.close();
    segments.close();
    validLens.close();
    predPositions.close();
    mlmWeights.close();
    mlmLabels.close();
    nspLabels.close();
  }
}
