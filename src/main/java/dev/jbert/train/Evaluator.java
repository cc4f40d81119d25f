package dev.jbert.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.jbert.TorchArrays;
import dev.jbert.data.BatchIterator;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingBatch;
import dev.jbert.data.PretrainingExample;
import dev.jbert.model.BertModel;
import dev.jbert.model.GradMode;
import java.util.List;

/** MLM and NSP metrics of a model over held-out examples, in inference mode (no dropout, no graph). */
public final class Evaluator {
  /**
   * The seed of the held-out examples' pairs and masks: fixed, so that runs with different training seeds are compared
   * on the same validation examples.
   */
  public static final long VALIDATION_SEED = 0;

  private Evaluator() {}

  public static EvalResult evaluate(BertModel model, List<PretrainingExample> examples, int batchSize, NDManager parent) {
    GradMode.off();
    double mlmSum = 0;
    double mlmCorrect = 0;
    double slots = 0;
    double nspSum = 0;
    double nspCorrect = 0;
    for (HostBatch whole : BatchIterator.inOrder(examples, batchSize)) {
      HostBatch batch = BatchParts.trimmed(whole); // padding past the longest example changes no metric
      try (NDManager m = parent.newSubManager()) {
        PretrainingBatch b = batch.toNDArrays(m);
        NDArray encoded = model.encode(b.tokens(), b.segments(), b.validLens(), false); // (B, L, H)
        NDArray nspLogits = model.nspLogits(encoded, false);
        nspSum += PretrainingLoss.crossEntropySum(nspLogits, b.nspLabels(), null).getFloat();
        nspCorrect += correct(nspLogits, b.nspLabels());
        RealSlots real = RealSlots.of(batch);
        NDArray rows = PretrainingLoss.rows(encoded, TorchArrays.longs(m, real.rowIndex())); // (N, H)
        NDArray labels = TorchArrays.longs(m, real.labels());
        for (int from = 0; from < real.labels().length; from += ReplicaStep.HEAD_CHUNK_ROWS) {
          try (NDManager chunkManager = m.newSubManager()) {
            NDIndex range = new NDIndex("{}:{}", from, Math.min(real.labels().length, from + ReplicaStep.HEAD_CHUNK_ROWS));
            NDArray chunk = rows.get(range);
            chunk.attach(chunkManager);
            NDArray logits = model.mlmHead(chunk, false);
            NDArray chunkLabels = labels.get(range);
            chunkLabels.attach(chunkManager);
            mlmSum += PretrainingLoss.crossEntropySum(logits, chunkLabels, null).getFloat();
            mlmCorrect += correct(logits, chunkLabels);
          }
        }
        slots += real.labels().length;
      }
    }
    int n = examples.size();
    double mlmLoss = mlmSum / (slots + PretrainingLoss.WEIGHT_EPS);
    return new EvalResult(mlmLoss, mlmCorrect / slots, Math.exp(mlmLoss), nspSum / n, nspCorrect / n, n);
  }

  private static double correct(NDArray logits, NDArray labels) {
    return logits.argMax(1).eq(labels).toType(DataType.FLOAT32, false).sum().getFloat();
  }
}
