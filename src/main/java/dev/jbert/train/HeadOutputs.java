package dev.jbert.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingBatch;
import dev.jbert.model.BertModel;

/**
 * One forward pass of the pretraining model over (part of) a batch: MLM logits (N, V) with their labels (N) and
 * weights (N, or null when every row counts), and NSP logits (B, 2) with their labels (B). Every array lives in the
 * given manager, which the caller closes at the end of the step.
 */
public record HeadOutputs(
    NDArray mlmLogits, NDArray mlmLabels, NDArray mlmWeightsOrNull, NDArray nspLogits, NDArray nspLabels) {

  /**
   * @param allSlots run the MLM head on all maxPreds slots of every example, padded ones included (d2l's way), rather
   *     than only on the slots whose weight is not zero
   */
  public static HeadOutputs run(BertModel model, HostBatch part, NDManager m, boolean allSlots, boolean training) {
    PretrainingBatch b = part.toNDArrays(m);
    NDArray encoded = model.encode(b.tokens(), b.segments(), b.validLens(), training); // (B, L, H)
    NDArray nspLogits = model.nspLogits(encoded, training); // (B, 2)
    if (allSlots) {
      NDArray logits = model.mlmLogits(encoded, b.predPositions(), training); // (B, P, V)
      long vocab = logits.getShape().get(2);
      return new HeadOutputs(logits.reshape(-1, vocab), b.mlmLabels().reshape(-1), b.mlmWeights().reshape(-1),
          nspLogits, b.nspLabels());
    }
    RealSlots slots = RealSlots.of(part);
    NDArray rows = PretrainingLoss.rows(encoded, m.create(slots.rowIndex())); // (N, H)
    return new HeadOutputs(model.mlmHead(rows, training), m.create(slots.labels()), null, nspLogits, b.nspLabels());
  }
}
