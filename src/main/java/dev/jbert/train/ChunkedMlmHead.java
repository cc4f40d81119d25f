package dev.jbert.train;

import dev.jbert.Precision;
import dev.jbert.model.BertModel;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;

/**
 * The masked-LM loss of a part of a batch, run the fast way: the head (Linear to V = 20256 outputs) only on the real
 * prediction slots (weight > 0; padded slots add nothing to the loss), in chunks of {@link #CHUNK_ROWS} rows, each
 * chunk's backward right after its forward, with the loss and its gradient taken from one softmax
 * ({@link PretrainingLoss#crossEntropyWithGradient}). The chunks' gradients with respect to their input rows add up in
 * a detached leaf; {@link #backward} then carries them, with the rest of the loss, through the encoder. Loss and
 * gradients equal the unchunked all-slots path's up to float rounding ({@code TrainingTest}).
 *
 * <p>Why: the head's logits for a whole batch of 512 take 290 MB a copy and forward plus backward hold several copies;
 * a chunk's buffers (up to 41 MB) are reused from the malloc heap that the launcher keeps instead of being faulted in.
 */
final class ChunkedMlmHead {
  /**
   * Rows of the MLM head per chunk: 512 x 20256 floats = 41 MB per logits buffer. Measured with `jbert bench`, three
   * runs each: 256-row chunks with 2 micro-batches 273-286 pairs/s, 1.39-1.43 GB peak RSS; 512-row chunks with 4
   * micro-batches 288-305 pairs/s, 0.96-0.98 GB. With the default 8 micro-batches a part has about 440 real slots: one
   * chunk.
   */
  static final int CHUNK_ROWS = 512;

  private final Tensor rows;
  private final Tensor rowsLeaf;
  private final double loss;

  /**
   * Runs the head's forward and backward over {@code rows} (N, H) of the encoder output against {@code labels} (N), in
   * the caller's scope.
   *
   * @param denominator what the summed loss is divided by: the whole batch's MLM weight total
   */
  ChunkedMlmHead(BertModel model, Tensor rows, Tensor labels, double denominator, Precision precision, PhaseTimes times) {
    this.rows = rows;
    this.rowsLeaf = rows.detach().set_requires_grad(true);
    String device = model.device();
    double sum = 0;
    long n = rows.size(0);
    for (long from = 0; from < n; from += CHUNK_ROWS) {
      long size = Math.min(n, from + CHUNK_ROWS) - from;
      try (PointerScope chunkScope = new PointerScope()) { // the chunk's activations are freed with it
        long c0 = System.nanoTime();
        Tensor logits;
        try (Precision.Autocast autocast = precision.autocast(device)) {
          logits = model.mlmHead(rowsLeaf.narrow(0, from, size)); // (n, V)
        }
        PretrainingLoss.LossAndGradient ce =
            PretrainingLoss.crossEntropyWithGradient(logits, labels.narrow(0, from, size), denominator);
        sum += ce.lossSum() / denominator;
        long c1 = System.nanoTime();
        logits.backward(ce.gradient().to(logits.scalar_type()), new BoolOptional(false), false,
            new TensorArrayRefOptional());
        times.forwardNs += c1 - c0;
        times.backwardNs += System.nanoTime() - c1;
      }
    }
    this.loss = sum;
  }

  /** The part's MLM loss (its share of the batch's). */
  double loss() {
    return loss;
  }

  /** {@code other} + a term whose gradient with respect to the encoder rows is the head's: backward of it trains both. */
  Tensor withHeadGradient(Tensor other) {
    Tensor headGradient = rowsLeaf.grad();
    // d(sum(rows * g))/d(rows) = g
    return headGradient.defined() ? other.add(rows.mul(headGradient).sum()) : other;
  }
}
