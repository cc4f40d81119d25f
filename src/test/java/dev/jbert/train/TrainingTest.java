package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.Numeric;
import dev.jbert.Precision;
import dev.jbert.Torch;
import dev.jbert.data.BatchIterator;
import dev.jbert.data.DataConfig;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingDataset;
import dev.jbert.model.BertConfig;
import dev.jbert.model.BertModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** The pieces of one training step on a tiny model: loss paths, micro-batches and shares, overfitting, memory. */
class TrainingTest {
  static final PretrainingDataset DATA =
      PretrainingDataset.build(TinyCorpus.lines(7, 300), new DataConfig(24, 5, 3));

  static BertConfig tiny(float dropout) {
    return new BertConfig(DATA.vocab().size(), 16, 32, 2, 2, dropout, 64);
  }

  static List<HostBatch> batches(int count, int size) {
    BatchIterator it = new BatchIterator(DATA.examples(), size, 11, 0);
    List<HostBatch> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(it.next());
    }
    return out;
  }

  @Test
  void theChunkedHeadGivesTheLossAndGradientsOfTheUnchunkedAllSlotsPath() {
    HostBatch batch = batches(1, 400).get(0);
    assertThat(RealSlots.of(batch).labels().length).as("more real slots than one chunk")
        .isGreaterThan(ChunkedMlmHead.CHUNK_ROWS);
    Map<String, float[]> gradsAll = new java.util.LinkedHashMap<>();
    Map<String, float[]> gradsChunked = new java.util.LinkedHashMap<>();
    StepLosses all = gradients(batch, true, gradsAll);
    StepLosses chunked = gradients(batch, false, gradsChunked);
    assertSameLosses(chunked, all);
    assertSameGradients(gradsChunked, gradsAll);
  }

  /**
   * Every entry within {@code 1e-4 * max|tensor| + 1e-6 * max|any gradient|} of the expected one. The paths sum in
   * different orders (and AVX2 and AVX-512 kernels differ too): the tensors seen differ by up to 1e-6 of their own
   * largest entry, so 1e-4 leaves a wide margin while a lost or doubly counted part of the batch, or a wrong scale,
   * moves a gradient by 1e-2 of it and more. Some true gradients are exactly 0 (softmax ignores the key bias, so
   * W_k.bias), and there only rounding noise is left: about float32 eps times the terms summed into it, which are no
   * larger than the model's largest gradient. Seen: up to 1.4e-9 (an AVX-512 Xeon) against a largest gradient of 0.28;
   * the second term, 1e-6 of that largest gradient, covers it 200-fold, and even a worst-case sum of a few hundred
   * rounding errors.
   */
  static void assertSameGradients(Map<String, float[]> actual, Map<String, float[]> expected) {
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    double largest = 0;
    for (float[] e : expected.values()) {
      largest = Math.max(largest, Numeric.maxAbs(e));
    }
    assertThat(largest).as("largest gradient").isPositive();
    for (String name : expected.keySet()) {
      Numeric.assertAllClose(name, actual.get(name), expected.get(name), 1e-4, 1e-6 * largest);
    }
  }

  /**
   * Losses of two paths over the same batch: means of hundreds of float32 cross-entropies, summed in another order.
   * Seen: 3e-8 relative apart on both kernel paths; 1e-5 relative is 300 times that, while a missing chunk or a wrong
   * denominator moves a loss by 1e-3 relative and more.
   */
  static void assertSameLosses(StepLosses actual, StepLosses expected) {
    Numeric.assertClose("mlm loss", actual.mlm(), expected.mlm(), 1e-5);
    Numeric.assertClose("nsp loss", actual.nsp(), expected.nsp(), 1e-5);
  }

  private static StepLosses gradients(HostBatch batch, boolean allSlots, Map<String, float[]> out) {
    try (PointerScope scope = new PointerScope();
        BertModel model = BertModel.create(tiny(0), ScalarType.Float, "cpu", 5)) {
      StepLosses losses = new MicroBatches(model, allSlots).forwardBackward(batch, 1, 0);
      model.parameters().forEach((k, v) -> out.put(k, Torch.toFloats(v.grad())));
      return losses;
    }
  }

  @Test
  void cuttingPaddingOffABatchChangesNeitherLossNorGradient() {
    HostBatch batch = batches(1, 24).get(0);
    HostBatch cut = BatchParts.trimmed(batch);
    assertThat(cut.maxLen()).as("the tiny corpus has short examples").isLessThan(batch.maxLen());
    Map<String, float[]> full = new java.util.LinkedHashMap<>();
    Map<String, float[]> trimmed = new java.util.LinkedHashMap<>();
    StepLosses fullLosses = partGradients(batch, full);
    StepLosses trimmedLosses = partGradients(cut, trimmed);
    assertSameLosses(trimmedLosses, fullLosses);
    assertSameGradients(trimmed, full);
  }

  /** One part's step on the batch exactly as given (MicroBatches would cut it first). */
  private static StepLosses partGradients(HostBatch batch, Map<String, float[]> out) {
    try (PointerScope scope = new PointerScope();
        BertModel model = BertModel.create(tiny(0), ScalarType.Float, "cpu", 5)) {
      StepLosses losses;
      try (PointerScope step = new PointerScope()) {
        losses = ReplicaStep.run(model, batch, BatchParts.weightSum(batch) + PretrainingLoss.WEIGHT_EPS,
            batch.size(), false, Precision.FP32, 1, 0, new PhaseTimes(), root -> {});
      }
      model.parameters().forEach((k, v) -> out.put(k, Torch.toFloats(v.grad())));
      return losses;
    }
  }

  @Test
  void microBatchesAndProcessSharesGiveTheGradientOfTheWholeBatch() {
    HostBatch batch = batches(1, 15).get(0); // odd, so the parts differ in size
    // with dropout too: each example's masks are keyed by its row in the whole batch, not by the part it runs in
    for (float dropout : new float[] {0f, 0.2f}) {
      Map<String, float[]> single = summedGradients(1, 1, batch, dropout);
      for (Map<String, float[]> split : List.of(
          summedGradients(2, 1, batch, dropout),
          summedGradients(1, 3, batch, dropout),
          summedGradients(2, 2, batch, dropout))) {
        assertSameGradients(split, single);
      }
    }
  }

  /** The gradient of {@link #sharesForwardBackward} on a fresh tiny model. */
  private static Map<String, float[]> summedGradients(int processes, int microBatches, HostBatch batch, float dropout) {
    try (PointerScope scope = new PointerScope();
        BertModel model = BertModel.create(tiny(dropout), ScalarType.Float, "cpu", 5)) {
      sharesForwardBackward(model, batch, processes, microBatches, false, 12345);
      Map<String, float[]> grads = new java.util.LinkedHashMap<>();
      model.parameters().forEach((k, v) -> grads.put(k, Torch.toFloats(v.grad())));
      return grads;
    }
  }

  /**
   * Every process's share of {@code batch} run on {@code model} in turn, each in {@code microBatches} parts, as the
   * processes of a run do (the same shares, the whole batch's totals), their gradients adding up on the model as the
   * all-reduce sums them (DistributedPretrainingTest runs the processes themselves).
   */
  static StepLosses sharesForwardBackward(BertModel model, HostBatch batch, int processes, int microBatches,
      boolean allSlots, long maskSeed) {
    MicroBatches parts = new MicroBatches(model, allSlots, microBatches, Precision.FP32);
    double mlm = 0;
    double nsp = 0;
    for (int r = 0; r < processes; r++) {
      StepLosses l = parts.forwardBackward(BatchParts.share(batch, r, processes),
          BatchParts.weightSum(batch) + PretrainingLoss.WEIGHT_EPS, batch.size(), 1, maskSeed, new PhaseTimes(),
          () -> false, root -> {});
      mlm += l.mlm();
      nsp += l.nsp();
    }
    return new StepLosses(mlm, nsp);
  }

  @Test
  void aSmallModelOverfitsFourFixedBatches() {
    List<HostBatch> fixed = batches(4, 8);
    try (PointerScope scope = new PointerScope();
        BertModel model = BertModel.create(tiny(0), ScalarType.Float, "cpu", 1);
        Adam adam = new Adam(0.9f, 0.999f, 1e-8f, model.parameters())) {
      MicroBatches dp = new MicroBatches(model, false);
      double first = 0;
      double last = 0;
      for (int step = 0; step < 100; step++) {
        StepLosses l = dp.forwardBackward(fixed.get(step % 4), step + 1, step);
        adam.step(model.parameters(), 1e-2f);
        if (step < 4) {
          first += l.total() / 4;
        }
        if (step >= 96) {
          last += l.total() / 4;
        }
      }
      assertThat(last).as("mean loss over the last round vs the first").isLessThan(first / 2);
    }
  }

  /**
   * A pointer scope that counts what attaches to it. Opened around a training loop, it catches every tensor handle
   * (or other native object) that the step makes outside its own per-part scopes: those would pile up for the whole
   * run in a real one, where only the garbage collector, blind to native memory, would ever free them.
   */
  private static final class CountingScope extends PointerScope {
    private long attached;

    @Override
    public PointerScope attach(Pointer p) {
      attached++;
      return super.attach(p);
    }
  }

  @Test
  void aLongTinyRunHoldsNoMoreTensorsAndNoMoreMemory() throws Exception {
    List<HostBatch> fixed = batches(4, 8);
    try (CountingScope outer = new CountingScope();
        BertModel model = BertModel.create(tiny(0.1f), ScalarType.Float, "cpu", 1);
        Adam adam = new Adam(0.9f, 0.999f, 1e-8f, model.parameters())) {
      MicroBatches dp = new MicroBatches(model, false);
      long before = outer.attached;
      Torch.scalar(1).close();
      assertThat(outer.attached).as("the counting scope sees a handle made in it").isEqualTo(before + 1);
      long attachedAfterFirst = 0;
      long rssAfterWarmup = 0;
      long heapAfterWarmup = 0;
      for (int step = 0; step < 300; step++) {
        dp.forwardBackward(fixed.get(step % 4), step + 1, step);
        adam.step(model.parameters(), 3e-3f);
        if (step == 0) {
          attachedAfterFirst = outer.attached;
        }
        if (step == 99) {
          rssAfterWarmup = MemoryProbe.rssBytes();
          heapAfterWarmup = MemoryProbe.usedHeapAfterGc();
        }
      }
      assertThat(outer.attached).as("native objects left outside the steps' own scopes").isEqualTo(attachedAfterFirst);
      long rssGrowth = MemoryProbe.rssBytes() - rssAfterWarmup;
      long heapGrowth = MemoryProbe.usedHeapAfterGc() - heapAfterWarmup;
      // the count above is the exact check; these catch native or heap growth that no Java handle shows
      assertThat(rssGrowth).as("RSS growth over steps 100-300").isLessThan(24L << 20);
      assertThat(heapGrowth).as("heap growth over steps 100-300").isLessThan(8L << 20);
    }
  }
}
