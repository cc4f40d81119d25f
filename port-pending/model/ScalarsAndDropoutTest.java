package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScalarsAndDropoutTest {

  @Test
  void aScalarDivisionKeepsItsGradientAfterGarbageCollection() {
    GradMode.off();
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(new float[] {1f, 2f, 3f});
      x.setRequiresGradient(true);
      try (NDManager step = m.newSubManager();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray input = step.create(new float[] {0f, 0f, 0f}).add(x);
        NDArray y = input.div(Scalars.like(input, 4.0)).sum();
        // what broke DJL's x.div(4f): its scalar's Java buffer is collected and the memory reused before backward
        List<ByteBuffer> churn = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          System.gc();
          for (int j = 0; j < 64; j++) {
            churn.add(ByteBuffer.allocateDirect(1 << 16));
          }
        }
        gc.backward(y);
        assertThat(churn).hasSize(192);
      }
      assertThat(x.getGradient().toFloatArray()).containsExactly(0.25f, 0.25f, 0.25f);
    }
  }

  /** A mask of {@code shape} for examples {@code rows}, as the model draws it at site 0 of seed {@code seed}. */
  private static IntBuffer mask(long[] shape, long seed, long[] rows) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    IntBuffer mask = IntBuffer.allocate(Math.toIntExact(n));
    Dropout.fillScaledMask(mask, shape, 0.2f, seed, rows);
    return mask;
  }

  private static long[] range(int n) {
    return java.util.stream.LongStream.range(0, n).toArray();
  }

  @Test
  void dropoutMasksKeepTheRightShareAreUncorrelatedAndDependOnlyOnTheSeed() {
    long[] shape = {64, 64, 1024}; // (B, T, H): 4M draws
    IntBuffer a = mask(shape, 42, range(64));
    int n = a.capacity();
    long kept = 0;
    long keptPairs = 0;
    long keptAcrossRows = 0;
    for (int i = 0; i < n; i++) {
      float v = Float.intBitsToFloat(a.get(i));
      assertThat(v).isIn(0f, 1.25f);
      kept += v == 0f ? 0 : 1;
      if (i > 0 && v != 0f && a.get(i - 1) != 0) {
        keptPairs++;
      }
      if (i >= 1024 && v != 0f && a.get(i - 1024) != 0) { // the same element of the row before
        keptAcrossRows++;
      }
    }
    // binomial standard deviations over 4M draws: 0.0002 for the share, 0.00024 for neighbours both kept (0.64)
    assertThat(kept / (double) n).isCloseTo(0.8, within(0.001));
    assertThat(keptPairs / (double) (n - 1)).isCloseTo(0.64, within(0.0012));
    assertThat(keptAcrossRows / (double) (n - 1024)).isCloseTo(0.64, within(0.0012));
    assertThat(mask(shape, 42, range(64))).isEqualTo(a);
    assertThat(mask(shape, 43, range(64))).isNotEqualTo(a);
  }

  @Test
  void anExamplesMaskIsTheSameInAnyPartOfTheBatchAndAtAnyCutLength() {
    // attention weights (B, heads, T, T) of a whole batch of 6 examples at length 10 ...
    long[] whole = {6, 2, 10, 10};
    IntBuffer all = mask(whole, 7, range(6));
    // ... and of a part holding examples 4 and 1 (in that order), cut to length 7
    long[] cut = {2, 2, 7, 7};
    IntBuffer part = mask(cut, 7, new long[] {4, 1});
    int[] examples = {4, 1};
    for (int i = 0; i < 2; i++) {
      for (int h = 0; h < 2; h++) {
        for (int q = 0; q < 7; q++) {
          for (int k = 0; k < 7; k++) {
            int inPart = ((i * 2 + h) * 7 + q) * 7 + k;
            int inWhole = ((examples[i] * 2 + h) * 10 + q) * 10 + k;
            assertThat(part.get(inPart)).as("example %d head %d (%d, %d)", examples[i], h, q, k)
                .isEqualTo(all.get(inWhole));
          }
        }
      }
    }
    // another example's row gives another mask
    assertThat(mask(new long[] {1, 10, 128}, 7, new long[] {0}))
        .isNotEqualTo(mask(new long[] {1, 10, 128}, 7, new long[] {1}));
  }

  @Test
  void trainingDropoutZeroesOrScalesEveryValueAndIsReproducibleFromTheEngineSeed() {
    GradMode.off();
    Dropout dropout = new Dropout(0.25f, 3);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.ones(new Shape(64, 32, 16));
      Engine.getInstance().setRandomSeed(7);
      float[] first = dropout.forward(x, Dropout.Keys.fromEngine(m, 64)).toFloatArray();
      Engine.getInstance().setRandomSeed(7);
      float[] again = dropout.forward(x, Dropout.Keys.fromEngine(m, 64)).toFloatArray();
      assertThat(again).containsExactly(first);
      int zeros = 0;
      for (float v : first) {
        assertThat(v).isIn(0f, 1f / 0.75f);
        zeros += v == 0f ? 1 : 0;
      }
      assertThat(zeros / (double) first.length).isCloseTo(0.25, within(0.01));
      assertThat(dropout.forward(x, null).toFloatArray()).containsOnly(1f);
      // another site of the same step draws another mask
      float[] otherSite = new Dropout(0.25f, 4).forward(x, new Dropout.Keys(1, range(64))).toFloatArray();
      assertThat(otherSite).isNotEqualTo(dropout.forward(x, new Dropout.Keys(1, range(64))).toFloatArray());
    }
  }
}
