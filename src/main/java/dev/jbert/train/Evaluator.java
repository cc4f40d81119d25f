package dev.jbert.train;

import dev.jbert.Torch;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingBatch;
import dev.jbert.data.PretrainingExample;
import dev.jbert.model.BertModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;

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
  public static EvalResult evaluate(BertModel model, List<PretrainingExample> examples, Progress progress,
      BooleanSupplier stop) {
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
      // inference mode: no graph, no version counters; every tensor of the batch is freed with the scope
      try (PointerScope scope = new PointerScope(); InferenceMode inference = new InferenceMode()) {
        String device = model.device();
        PretrainingBatch b = batch.toTensors(device);
        Tensor encoded = model.encode(b.tokens(), b.segments(), b.validLens()); // (B, L, H)
        Tensor nspLogits = model.nspLogits(encoded);
        nspSum += PretrainingLoss.crossEntropySum(nspLogits, b.nspLabels(), null).item_double();
        nspCorrect += correct(nspLogits, b.nspLabels());
        RealSlots real = RealSlots.of(batch);
        Tensor rows = PretrainingLoss.rows(encoded, Torch.to(Torch.longs(real.rowIndex()), device)); // (N, H)
        Tensor labels = Torch.to(Torch.longs(real.labels()), device);
        int slotCount = real.labels().length;
        for (int chunk = 0; chunk < slotCount; chunk += ChunkedMlmHead.CHUNK_ROWS) {
          try (PointerScope chunkScope = new PointerScope()) {
            int size = Math.min(slotCount, chunk + ChunkedMlmHead.CHUNK_ROWS) - chunk;
            Tensor logits = model.mlmHead(rows.narrow(0, chunk, size));
            Tensor chunkLabels = labels.narrow(0, chunk, size);
            mlmSum += PretrainingLoss.crossEntropySum(logits, chunkLabels, null).item_double();
            mlmCorrect += correct(logits, chunkLabels);
          }
        }
        slots += slotCount;
      }
      progress.update(Math.min(n, from + BATCH), n);
    }
    double mlmLoss = mlmSum / (slots + PretrainingLoss.WEIGHT_EPS);
    return new EvalResult(mlmLoss, mlmCorrect / slots, Math.exp(mlmLoss), nspSum / n, nspCorrect / n, n);
  }

  private static double correct(Tensor logits, Tensor labels) {
    return logits.argmax(new org.bytedeco.pytorch.LongOptional(1), false).eq(labels).sum().item_double();
  }
}
