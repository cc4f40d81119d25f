package dev.jbert.data;

import dev.jbert.Torch;
import java.util.List;

/**
 * A batch on the Java heap, flat row-major arrays of spec section 6; {@link #toTensors} makes the tensors.
 *
 * @param size examples in the batch (B)
 * @param maxLen row length of tokens and segments
 * @param maxPreds row length of the prediction arrays
 * @param tokens (B, maxLen)
 * @param segments (B, maxLen)
 * @param validLens (B)
 * @param predPositions (B, maxPreds)
 * @param mlmWeights (B, maxPreds)
 * @param mlmLabels (B, maxPreds)
 * @param nspLabels (B), 1 = is next
 * @param rows (B), each example's index in the step's whole batch: what its dropout masks are keyed by, so they do not
 *     depend on how the batch is split
 */
public record HostBatch(
    int size, int maxLen, int maxPreds, long[] tokens, long[] segments, float[] validLens, long[] predPositions,
    float[] mlmWeights, long[] mlmLabels, long[] nspLabels, long[] rows) {

  /** Stacks {@code examples} (all of one max_len) into one batch. */
  public static HostBatch of(List<PretrainingExample> examples) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one example");
    }
    int b = examples.size();
    int maxLen = examples.get(0).tokenIds().length;
    int maxPreds = examples.get(0).predPositions().length;
    HostBatch batch = new HostBatch(b, maxLen, maxPreds, new long[b * maxLen], new long[b * maxLen], new float[b],
        new long[b * maxPreds], new float[b * maxPreds], new long[b * maxPreds], new long[b], new long[b]);
    for (int i = 0; i < b; i++) {
      PretrainingExample e = examples.get(i);
      if (e.tokenIds().length != maxLen || e.predPositions().length != maxPreds) {
        throw new IllegalArgumentException("examples of different max_len in one batch");
      }
      for (int t = 0; t < maxLen; t++) {
        batch.tokens[i * maxLen + t] = e.tokenIds()[t];
        batch.segments[i * maxLen + t] = e.segments()[t];
      }
      batch.validLens[i] = e.validLen();
      for (int k = 0; k < maxPreds; k++) {
        batch.predPositions[i * maxPreds + k] = e.predPositions()[k];
        batch.mlmWeights[i * maxPreds + k] = e.mlmWeights()[k];
        batch.mlmLabels[i * maxPreds + k] = e.mlmLabels()[k];
      }
      batch.nspLabels[i] = e.isNext() ? 1 : 0;
      batch.rows[i] = i;
    }
    return batch;
  }

  /** The seven tensors on {@code device}, in the caller's pointer scope: int64 except valid_lens and mlm_weights (float32). */
  public PretrainingBatch toTensors(String device) {
    return new PretrainingBatch(
        Torch.to(Torch.longs(tokens, size, maxLen), device),
        Torch.to(Torch.longs(segments, size, maxLen), device),
        Torch.to(Torch.floats(validLens, size), device),
        Torch.to(Torch.longs(predPositions, size, maxPreds), device),
        Torch.to(Torch.floats(mlmWeights, size, maxPreds), device),
        Torch.to(Torch.longs(mlmLabels, size, maxPreds), device),
        Torch.to(Torch.longs(nspLabels, size), device));
  }
}
