package dev.jbert.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.jbert.TorchArrays;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingBatch;
import dev.jbert.model.BertModel;

/**
 * One forward pass of the pretraining model over (part of) a batch, unchunked: MLM logits (N, V) with their labels
 * (N) and weights (N, or null when every row counts), and NSP logits (B, 2) with their labels (B). Every array lives
 * in the given manager, which the caller closes.
 */
public record HeadOutputs(
    NDArray mlmLogits, NDArray mlmLabels, NDArray mlmWeightsOrNull, NDArray nspLogits, NDArray nspLabels) {

  /** MLM logits of every slot, padded ones included, flattened to (B * P, V), with labels and weights (B * P). */
  public record MlmInputs(NDArray logits, NDArray labels, NDArray weights) {}

  /**
   * @param allSlots run the MLM head on all maxPreds slots of every example, padded ones included (d2l's way), rather
   *     than only on the slots whose weight is not zero
   */
  public static HeadOutputs run(BertModel model, HostBatch part, NDManager m, boolean allSlots, boolean training) {
    PretrainingBatch b = part.toNDArrays(m);
    NDArray encoded = model.encode(b.tokens(), b.segments(), b.validLens(), training); // (B, L, H)
    NDArray nspLogits = model.nspLogits(encoded, training); // (B, 2)
    if (allSlots) {
      MlmInputs all = allSlots(model, encoded, b, training);
      return new HeadOutputs(all.logits(), all.labels(), all.weights(), nspLogits, b.nspLabels());
    }
    RealSlots slots = RealSlots.of(part);
    NDArray rows = PretrainingLoss.rows(encoded, TorchArrays.longs(m, slots.rowIndex(), new Shape(slots.rowIndex().length))); // (N, H)
    return new HeadOutputs(model.mlmHead(rows, training), TorchArrays.longs(m, slots.labels(), new Shape(slots.labels().length)), null, nspLogits, b.nspLabels());
  }

  static MlmInputs allSlots(BertModel model, NDArray encoded, PretrainingBatch b, boolean training) {
    NDArray logits = model.mlmLogits(encoded, b.predPositions(), training); // (B, P, V)
    long vocab = logits.getShape().get(2);
    return new MlmInputs(logits.reshape(-1, vocab), b.mlmLabels().reshape(-1), b.mlmWeights().reshape(-1));
  }
}
