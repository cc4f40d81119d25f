package dev.jbert.train;

import dev.jbert.Precision;
import dev.jbert.Torch;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingBatch;
import dev.jbert.model.BertModel;
import dev.jbert.model.Dropout;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;

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
   * Runs in the caller's pointer scope, which should close right after, freeing the part's activations.
   *
   * @param weightTotal sum of the MLM weights of the whole batch (+ eps), the denominator of every part's MLM loss
   * @param pairs sentence pairs in the whole batch, the denominator of every part's NSP loss
   */
  static StepLosses run(BertModel model, HostBatch part, double weightTotal, float pairs, boolean allSlots,
      Precision precision, int step, long maskSeed, PhaseTimes times) {
    long t0 = System.nanoTime();
    String device = model.device();
    PretrainingBatch b = part.toTensors(device);
    long t1 = System.nanoTime();
    times.dataNs += t1 - t0;

    Dropout.Keys masks = new Dropout.Keys(maskSeed, part.rows()); // keyed by example, not by part
    Tensor encoded;
    Tensor nsp;
    try (Precision.Autocast autocast = precision.autocast(device)) {
      encoded = model.encode(b.tokens(), b.segments(), b.validLens(), masks); // (B, L, H)
      nsp = PretrainingLoss.crossEntropySum(model.nspLogits(encoded), b.nspLabels(), null)
          .div(Torch.scalar(pairs));
    }
    if (allSlots) {
      Tensor mlm;
      try (Precision.Autocast autocast = precision.autocast(device)) {
        Tensor logits = model.mlmLogits(encoded, b.predPositions()); // (B, P, V)
        Tensor mlmSum = PretrainingLoss.crossEntropySum(logits.reshape(-1, logits.size(2)),
            b.mlmLabels().reshape(-1), b.mlmWeights().reshape(-1));
        mlm = mlmSum.div(Torch.scalar(weightTotal));
      }
      StepLosses losses = checked(new StepLosses(mlm.item_double(), nsp.item_double()), step);
      long t2 = System.nanoTime();
      mlm.add(nsp).backward();
      times.forwardNs += t2 - t1;
      times.backwardNs += System.nanoTime() - t2;
      return losses;
    }

    RealSlots slots = RealSlots.of(part);
    Tensor rows = PretrainingLoss.rows(encoded, Torch.to(Torch.longs(slots.rowIndex()), device)); // (N, H)
    Tensor labels = Torch.to(Torch.longs(slots.labels()), device); // (N)
    Tensor rowsLeaf = rows.detach().set_requires_grad(true);
    long forwardNs = System.nanoTime() - t1;
    long backwardNs = 0;
    double mlm = 0;
    int n = slots.labels().length;
    for (int from = 0; from < n; from += HEAD_CHUNK_ROWS) {
      int size = Math.min(n, from + HEAD_CHUNK_ROWS) - from;
      try (PointerScope chunkScope = new PointerScope()) { // the chunk's activations are freed with it
        long c0 = System.nanoTime();
        Tensor logits;
        try (Precision.Autocast autocast = precision.autocast(device)) {
          logits = model.mlmHead(rowsLeaf.narrow(0, from, size)); // (n, V)
        }
        // the loss and its gradient with respect to the logits come from one softmax; autograd takes it from there
        PretrainingLoss.LossAndGradient ce =
            PretrainingLoss.crossEntropyWithGradient(logits, labels.narrow(0, from, size), weightTotal);
        mlm += ce.lossSum() / weightTotal;
        long c1 = System.nanoTime();
        logits.backward(ce.gradient().to(logits.scalar_type()), new BoolOptional(false), false,
            new TensorArrayRefOptional());
        forwardNs += c1 - c0;
        backwardNs += System.nanoTime() - c1;
      }
    }
    StepLosses losses = checked(new StepLosses(mlm, nsp.item_double()), step);
    long t2 = System.nanoTime();
    // d(sum(rows * g))/d(rows) = g: carries the head's gradient (and NSP's) back through the encoder
    Tensor headGradient = rowsLeaf.grad();
    (headGradient.defined() ? nsp.add(rows.mul(headGradient).sum()) : nsp).backward();
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
