package dev.jbert.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.jbert.TorchArrays;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingBatch;
import dev.jbert.model.BertModel;
import dev.jbert.model.Dropout;
import dev.jbert.model.Scalars;

/**
 * Forward, loss and backward of one replica over its part of a batch, adding to the replica's gradients.
 *
 * <p>The MLM head (Linear to V = 20256 outputs) dominates memory: its logits for a whole batch of 512 take 290 MB a
 * copy, and forward plus backward hold several copies. So the head runs on the real prediction slots only, in chunks of
 * {@link #HEAD_CHUNK_ROWS} rows, each chunk's backward right after its forward: the chunks' gradients with respect to
 * their input rows accumulate in a detached leaf, and one last backward carries them, with the NSP loss, through the
 * encoder. The result equals the unchunked loss and gradient up to float rounding. With the default 8 micro-batches a
 * micro-batch has about 440 real slots, so its head is usually one chunk; each chunk's buffers (up to 41 MB) come from
 * the malloc heap that the launcher keeps (no mmap), so they are reused instead of being faulted in afresh.
 */
final class ReplicaStep {
  /**
   * Rows of the MLM head per chunk: 512 x 20256 floats = 41 MB per logits buffer. Measured with `jbert bench`, three
   * runs each: 256-row chunks with 2 micro-batches 273-286 pairs/s, 1.39-1.43 GB peak RSS; 512-row chunks with 4
   * micro-batches 288-305 pairs/s, 0.96-0.98 GB.
   */
  static final int HEAD_CHUNK_ROWS = 512;

  private ReplicaStep() {}

  /**
   * @param weightTotal sum of the MLM weights of the whole batch (+ eps), the denominator of every part's MLM loss
   * @param pairs sentence pairs in the whole batch, the denominator of every part's NSP loss
   */
  static StepLosses run(BertModel model, HostBatch part, NDManager m, GradientCollector collector, double weightTotal,
      float pairs, boolean allSlots, int step, long maskSeed, PhaseTimes times) {
    long t0 = System.nanoTime();
    PretrainingBatch b = part.toNDArrays(m);
    long t1 = System.nanoTime();
    times.dataNs += t1 - t0;

    Dropout.Keys masks = new Dropout.Keys(maskSeed, part.rows()); // keyed by example, not by part
    NDArray encoded = model.encode(b.tokens(), b.segments(), b.validLens(), masks); // (B, L, H)
    NDArray nspSum = PretrainingLoss.crossEntropySum(model.nspLogits(encoded, true), b.nspLabels(), null);
    NDArray nsp = nspSum.div(Scalars.like(nspSum, pairs));
    if (allSlots) {
      NDArray logits = model.mlmLogits(encoded, b.predPositions(), true); // (B, P, V)
      NDArray mlmSum = PretrainingLoss.crossEntropySum(logits.reshape(-1, logits.getShape().get(2)),
          b.mlmLabels().reshape(-1), b.mlmWeights().reshape(-1));
      NDArray mlm = mlmSum.div(Scalars.like(mlmSum, weightTotal));
      StepLosses losses = checked(new StepLosses(mlm.getFloat(), nsp.getFloat()), step);
      long t2 = System.nanoTime();
      collector.backward(mlm.add(nsp));
      times.forwardNs += t2 - t1;
      times.backwardNs += System.nanoTime() - t2;
      return losses;
    }

    RealSlots slots = RealSlots.of(part);
    NDArray rows = PretrainingLoss.rows(encoded, TorchArrays.longs(m, slots.rowIndex())); // (N, H)
    NDArray labels = TorchArrays.longs(m, slots.labels()); // (N)
    NDArray rowsLeaf = rows.stopGradient();
    rowsLeaf.setRequiresGradient(true);
    long forwardNs = System.nanoTime() - t1;
    long backwardNs = 0;
    double mlm = 0;
    int n = slots.labels().length;
    for (int from = 0; from < n; from += HEAD_CHUNK_ROWS) {
      int to = Math.min(n, from + HEAD_CHUNK_ROWS);
      try (NDManager chunkManager = m.newSubManager()) {
        long c0 = System.nanoTime();
        NDIndex range = new NDIndex("{}:{}", from, to);
        NDArray chunk = rowsLeaf.get(range);
        chunk.attach(chunkManager); // so the chunk's activations are freed with it
        NDArray logits = model.mlmHead(chunk, true); // (n, V)
        NDArray labelsChunk = labels.get(range);
        labelsChunk.attach(chunkManager);
        // the loss and its gradient with respect to the logits come from one softmax; autograd takes it from there
        PretrainingLoss.LossAndGradient ce = PretrainingLoss.crossEntropyWithGradient(logits, labelsChunk, weightTotal);
        mlm += ce.lossSum() / weightTotal;
        long c1 = System.nanoTime();
        JniUtils.backward((PtNDArray) logits, (PtNDArray) ce.gradient(), false, false);
        forwardNs += c1 - c0;
        backwardNs += System.nanoTime() - c1;
      }
    }
    StepLosses losses = checked(new StepLosses(mlm, nsp.getFloat()), step);
    long t2 = System.nanoTime();
    // d(sum(rows * g))/d(rows) = g: carries the head's gradient (and NSP's) back through the encoder
    collector.backward(nsp.add(rows.mul(rowsLeaf.getGradient()).sum()));
    times.forwardNs += forwardNs;
    times.backwardNs += backwardNs + System.nanoTime() - t2;
    return losses;
  }

  private static StepLosses checked(StepLosses losses, int step) {
    if (!losses.finite()) {
      throw new DataParallel.NonFiniteLossException(step, losses);
    }
    return losses;
  }
}
