package dev.jbert.train;

import dev.jbert.Precision;
import dev.jbert.Torch;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingBatch;
import dev.jbert.model.BertModel;
import dev.jbert.model.Dropout;
import java.util.function.Consumer;
import org.bytedeco.pytorch.Tensor;

/**
 * Forward, loss and backward of one replica over its part of a batch, adding to the replica's gradients: the encoder
 * and NSP under the run's precision, the MLM loss on the real slots through {@link ChunkedMlmHead} (or, with
 * {@code --mlm-all-slots}, on every slot as d2l does), one backward through the encoder.
 */
final class ReplicaStep {
  private ReplicaStep() {}

  /**
   * Runs in the caller's pointer scope, which should close right after, freeing the part's activations.
   *
   * @param weightTotal sum of the MLM weights of the whole batch (+ eps), the denominator of every part's MLM loss
   * @param pairs sentence pairs in the whole batch, the denominator of every part's NSP loss
   * @param beforeBackward gets the tensor that the part's last backward starts from, just before it starts (the MLM
   *     head's chunks ran theirs already)
   */
  static StepLosses run(BertModel model, HostBatch part, double weightTotal, float pairs, boolean allSlots,
      Precision precision, int step, long maskSeed, PhaseTimes times, Consumer<Tensor> beforeBackward) {
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
      Tensor total = mlm.add(nsp);
      beforeBackward.accept(total);
      total.backward();
      times.forwardNs += t2 - t1;
      times.backwardNs += System.nanoTime() - t2;
      return losses;
    }

    RealSlots slots = RealSlots.of(part);
    Tensor labels = Torch.to(Torch.longs(slots.labels()), device);
    Tensor rows = PretrainingLoss.rows(encoded, Torch.to(Torch.longs(slots.rowIndex()), device)); // (N, H)
    times.forwardNs += System.nanoTime() - t1;
    ChunkedMlmHead mlm = new ChunkedMlmHead(model, rows, labels, weightTotal, precision, times);
    StepLosses losses = checked(new StepLosses(mlm.loss(), nsp.item_double()), step);
    long t2 = System.nanoTime();
    Tensor total = mlm.withHeadGradient(nsp);
    beforeBackward.accept(total);
    total.backward(); // the head's gradient and NSP's, through the encoder
    times.backwardNs += System.nanoTime() - t2;
    return losses;
  }

  private static StepLosses checked(StepLosses losses, int step) {
    if (!losses.finite()) {
      throw new MicroBatches.NonFiniteLossException(step, losses);
    }
    return losses;
  }
}
