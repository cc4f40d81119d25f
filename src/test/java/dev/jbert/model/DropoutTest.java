package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jbert.Seeds;
import dev.jbert.Torch;
import java.nio.IntBuffer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

class DropoutTest {
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
  void trainingDropoutZeroesOrScalesEveryValueAndIsReproducibleFromTheKeys() {
    try (PointerScope scope = new PointerScope()) {
      long[] shape = {64, 32, 16};
      Tensor x = Torch.zeros(ScalarType.Float, "cpu", shape).add(Torch.scalar(1));
      float[] first = Torch.toFloats(Dropout.apply(x, 0.25f, 3, Dropout.Keys.of(7, 64)));
      float[] again = Torch.toFloats(Dropout.apply(x, 0.25f, 3, Dropout.Keys.of(7, 64)));
      assertThat(again).containsExactly(first);
      int zeros = 0;
      for (float v : first) {
        assertThat(v).isIn(0f, 1f / 0.75f);
        zeros += v == 0f ? 1 : 0;
      }
      assertThat(zeros / (double) first.length).isCloseTo(0.25, within(0.01));
      // the mask applied is the one fillScaledMask draws for (seed, site) and the examples 0..63
      IntBuffer expected = IntBuffer.allocate(first.length);
      Dropout.fillScaledMask(expected, shape, 0.25f, Seeds.mix(7, 3), range(64));
      for (int i = 0; i < first.length; i++) {
        assertThat(Float.floatToIntBits(first[i])).as("element %d", i).isEqualTo(expected.get(i));
      }
      Tensor identity = Dropout.apply(x, 0.25f, 3, null);
      assertThat(identity).isSameAs(x);
      assertThat(Torch.toFloats(identity)).containsOnly(1f);
      // another site or another seed of the same step draws another mask
      assertThat(Torch.toFloats(Dropout.apply(x, 0.25f, 4, Dropout.Keys.of(7, 64)))).isNotEqualTo(first);
      assertThat(Torch.toFloats(Dropout.apply(x, 0.25f, 3, Dropout.Keys.of(8, 64)))).isNotEqualTo(first);
    }
  }

  @Test
  void aFloat64InputStaysFloat64AndAWrongKeyCountIsRefused() {
    try (PointerScope scope = new PointerScope()) {
      Tensor x = Torch.doubles(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
      Tensor y = Dropout.apply(x, 0.5f, 0, Dropout.Keys.of(1, 2));
      assertThat(Torch.dtype(y)).isEqualTo(ScalarType.Double);
      double[] in = Torch.toDoubles(x);
      double[] out = Torch.toDoubles(y);
      for (int i = 0; i < in.length; i++) {
        assertThat(out[i]).as("element %d", i).isIn(0.0, 2 * in[i]);
      }
      assertThatThrownBy(() -> Dropout.apply(x, 0.5f, 0, Dropout.Keys.of(1, 3)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("dropout keys for 3 rows, input (2, 3)");
    }
  }
}
