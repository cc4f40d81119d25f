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

  @Test
  void dropoutMasksKeepTheRightShareAreUncorrelatedAndDependOnlyOnTheSeed() {
    int n = 1 << 22;
    IntBuffer a = IntBuffer.allocate(n);
    IntBuffer b = IntBuffer.allocate(n);
    Dropout.fillScaledMask(a, 0.2f, 42);
    Dropout.fillScaledMask(b, 0.2f, 42);
    long kept = 0;
    long keptPairs = 0;
    for (int i = 0; i < n; i++) {
      float v = Float.intBitsToFloat(a.get(i));
      assertThat(v).isIn(0f, 1.25f);
      kept += v == 0f ? 0 : 1;
      if (i > 0 && v != 0f && a.get(i - 1) != 0) {
        keptPairs++;
      }
    }
    // binomial standard deviations over 4M draws: 0.0002 for the share, 0.00024 for neighbours both kept (0.64)
    assertThat(kept / (double) n).isCloseTo(0.8, within(0.001));
    assertThat(keptPairs / (double) (n - 1)).isCloseTo(0.64, within(0.0012));
    assertThat(a).isEqualTo(b);
    Dropout.fillScaledMask(b, 0.2f, 43);
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void trainingDropoutZeroesOrScalesEveryValueAndIsReproducibleFromTheEngineSeed() {
    GradMode.off();
    Dropout dropout = new Dropout(0.25f);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.ones(new Shape(64, 32, 16));
      Engine.getInstance().setRandomSeed(7);
      float[] first = dropout.forward(x, true).toFloatArray();
      Engine.getInstance().setRandomSeed(7);
      float[] again = dropout.forward(x, true).toFloatArray();
      assertThat(again).containsExactly(first);
      int zeros = 0;
      for (float v : first) {
        assertThat(v).isIn(0f, 1f / 0.75f);
        zeros += v == 0f ? 1 : 0;
      }
      assertThat(zeros / (double) first.length).isCloseTo(0.25, within(0.01));
      assertThat(dropout.forward(x, false).toFloatArray()).containsOnly(1f);
    }
  }
}
