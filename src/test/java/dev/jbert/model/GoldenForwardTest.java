package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.Numeric;
import dev.jbert.Torch;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** The libtorch model against {@link ReferenceBert}, a plain-Java float64 implementation reading the same weights. */
class GoldenForwardTest {
  static final BertConfig TINY = new BertConfig(11, 8, 16, 2, 2, 0.2f, 12);
  static final int[][] TOKENS = {{1, 5, 6, 2, 7, 8, 2, 0, 0}, {1, 9, 10, 3, 2, 4, 4, 2, 0}};
  static final int[][] SEGMENTS = {{0, 0, 0, 0, 1, 1, 1, 0, 0}, {0, 0, 0, 0, 0, 1, 1, 1, 0}};
  static final int[] VALID = {7, 8};
  static final int[][] POSITIONS = {{1, 5, 0}, {2, 6, 3}};

  /**
   * float32 rounding (summation order differs between kernels and CPUs) leaves about 1e-7 of each output's largest
   * value; 1e-5 of that scale is a wide margin that any real error exceeds.
   */
  @Test
  void float32ForwardMatchesThePlainJavaReferenceTo1e5OfTheScale() {
    assertMatchesReference(ScalarType.Float, 1e-5);
  }

  /**
   * float64 leaves about 1e-15 per operation (LayerNorm's eps is the double 1e-5 on both sides); 1e-10 of the scale is
   * a wide margin that a single float32 step anywhere in the path would exceed.
   */
  @Test
  void float64ForwardMatchesThePlainJavaReferenceTo1e10OfTheScale() {
    assertMatchesReference(ScalarType.Double, 1e-10);
  }

  private static void assertMatchesReference(ScalarType dtype, double relative) {
    try (PointerScope scope = new PointerScope();
        BertModel model = BertModel.create(TINY, dtype, "cpu", 42);
        NoGradGuard inference = new NoGradGuard()) {
      ReferenceBert reference = new ReferenceBert(TINY, toDoubles(model.parameters()));
      BertOutput out = model.forward(longs(TOKENS), longs(SEGMENTS), Torch.floats(new float[] {VALID[0], VALID[1]}),
          longs(POSITIONS), null);
      assertThat(Torch.shape(out.encoded())).containsExactly(2, 9, 8);
      assertThat(Torch.shape(out.mlmLogitsOrNull())).containsExactly(2, 3, 11);
      assertThat(Torch.shape(out.nspLogits())).containsExactly(2, 2);
      assertThat(Torch.dtype(out.encoded())).isEqualTo(dtype);
      double[] refEncoded = new double[2 * 9 * 8];
      double[] refMlm = new double[2 * 3 * 11];
      double[] refNsp = new double[2 * 2];
      for (int b = 0; b < 2; b++) {
        double[][] encoded = reference.encode(TOKENS[b], SEGMENTS[b], VALID[b]);
        for (int t = 0; t < 9; t++) {
          System.arraycopy(encoded[t], 0, refEncoded, (b * 9 + t) * 8, 8);
        }
        double[][] mlm = reference.mlmLogits(encoded, POSITIONS[b]);
        for (int p = 0; p < 3; p++) {
          System.arraycopy(mlm[p], 0, refMlm, (b * 3 + p) * 11, 11);
        }
        System.arraycopy(reference.nspLogits(encoded), 0, refNsp, b * 2, 2);
      }
      Numeric.assertAllClose("encoded", Torch.toDoubles(out.encoded()), refEncoded, relative, 0);
      Numeric.assertAllClose("mlm logits", Torch.toDoubles(out.mlmLogitsOrNull()), refMlm, relative, 0);
      Numeric.assertAllClose("nsp logits", Torch.toDoubles(out.nspLogits()), refNsp, relative, 0);
    }
  }

  /** Each parameter's values as float64, row-major. */
  static Map<String, double[]> toDoubles(Map<String, Tensor> params) {
    Map<String, double[]> out = new HashMap<>();
    for (Map.Entry<String, Tensor> e : params.entrySet()) {
      out.put(e.getKey(), Torch.toDoubles(e.getValue()));
    }
    return out;
  }

  /** An int64 tensor of the rows of {@code values} (all of one length). */
  static Tensor longs(int[][] values) {
    long[] flat = Arrays.stream(values).flatMapToInt(Arrays::stream).asLongStream().toArray();
    return Torch.longs(flat, values.length, values[0].length);
  }
}
