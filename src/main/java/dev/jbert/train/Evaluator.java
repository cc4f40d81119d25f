package dev.jbert.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.jbert.TorchArrays;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingBatch;
import dev.jbert.data.PretrainingExample;
import dev.jbert.model.BertModel;
import dev.jbert.model.GradMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

/** MLM and NSP metrics of a model over held-out examples, in inference mode (no dropout, no graph). */
public final class Evaluator {
  /**
   * The seed of the held-out examples' pairs and masks: fixed, so that runs with different training seeds are compared
   * on the same validation examples.
   */
  public static final long VALIDATION_SEED = 0;

  /**
   * Pairs per forward pass. Evaluation holds no graph, so its batch need not follow training's; 64 pairs is the
   * training micro-batch measured fastest for the d2l model (activations stay in cache). The examples are sorted by
   * length first and each batch is cut to its longest, so little padding is computed.
   */
  public static final int BATCH = 64;

  /** How far an evaluation has come: examples done of the total. */
  public interface Progress {
    void update(int done, int total);
  }

  private Evaluator() {}

  /** The metrics over {@code examples}, or null when {@code stop} turned true before the end. */
  public static EvalResult evaluate(BertModel model, List<PretrainingExample> examples, NDManager parent,
      Progress progress, BooleanSupplier stop) {
    GradMode.off();
    int n = examples.size();
    // every example's metrics are the same in any batch, so the order is free: by length, to cut the padding
    int[] lengths = examples.stream().mapToInt(PretrainingExample::validLen).toArray(); // read each example once
    int[] order = IntStream.range(0, n).boxed()
        .sorted(Comparator.comparingInt(i -> lengths[i]))
        .mapToInt(Integer::intValue).toArray();
    double mlmSum = 0;
    double mlmCorrect = 0;
    double slots = 0;
    double nspSum = 0;
    double nspCorrect = 0;
    for (int from = 0; from < n; from += BATCH) {
      if (stop.getAsBoolean()) {
        return null;
      }
      List<PretrainingExample> part = new ArrayList<>(BATCH);
      for (int i = from; i < Math.min(n, from + BATCH); i++) {
        part.add(examples.get(order[i]));
      }
      HostBatch batch = BatchParts.trimmed(HostBatch.of(part)); // padding past the longest example changes no metric
      try (NDManager m = parent.newSubManager()) {
        PretrainingBatch b = batch.toNDArrays(m);
        NDArray encoded = model.encode(b.tokens(), b.segments(), b.validLens(), false); // (B, L, H)
        NDArray nspLogits = model.nspLogits(encoded, false);
        nspSum += PretrainingLoss.crossEntropySum(nspLogits, b.nspLabels(), null).getFloat();
        nspCorrect += correct(nspLogits, b.nspLabels());
        RealSlots real = RealSlots.of(batch);
        NDArray rows = PretrainingLoss.rows(encoded, TorchArrays.longs(m, real.rowIndex())); // (N, H)
        NDArray labels = TorchArrays.longs(m, real.labels());
        for (int chunk = 0; chunk < real.labels().length; chunk += ReplicaStep.HEAD_CHUNK_ROWS) {
          try (NDManager chunkManager = m.newSubManager()) {
            NDIndex range = new NDIndex("{}:{}", chunk,
                Math.min(real.labels().length, chunk + ReplicaStep.HEAD_CHUNK_ROWS));
            NDArray rowsChunk = rows.get(range);
            rowsChunk.attach(chunkManager);
            NDArray logits = model.mlmHead(rowsChunk, false);
            NDArray chunkLabels = labels.get(range);
            chunkLabels.attach(chunkManager);
            mlmSum += PretrainingLoss.crossEntropySum(logits, chunkLabels, null).getFloat();
            mlmCorrect += correct(logits, chunkLabels);
          }
        }
        slots += real.labels().length;
      }
      progress.update(Math.min(n, from + BATCH), n);
    }
    double mlmLoss = mlmSum / (slots + PretrainingLoss.WEIGHT_EPS);
    return new EvalResult(mlmLoss, mlmCorrect / slots, Math.exp(mlmLoss), nspSum / n, nspCorrect / n, n);
  }

  private static double correct(NDArray logits, NDArray labels) {
    return logits.argMax(1).eq(labels).toType(DataType.FLOAT32, false).sum().getFloat();
  }
}
