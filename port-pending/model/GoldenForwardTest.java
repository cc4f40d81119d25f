package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.jbert.Numeric;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The DJL model against {@link ReferenceBert}, a plain-Java float64 implementation reading the same weights. */
class GoldenForwardTest {
  static final BertConfig TINY = new BertConfig(11, 8, 16, 2, 2, 0.2f, 12);
  static final int[][] TOKENS = {{1, 5, 6, 2, 7, 8, 2, 0, 0}, {1, 9, 10, 3, 2, 4, 4, 2, 0}};
  static final int[][] SEGMENTS = {{0, 0, 0, 0, 1, 1, 1, 0, 0}, {0, 0, 0, 0, 0, 1, 1, 1, 0}};
  static final int[] VALID = {7, 8};
  static final int[][] POSITIONS = {{1, 5, 0}, {2, 6, 3}};

  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /**
   * float32 rounding (summation order differs between kernels and CPUs) leaves about 1e-7 of each output's largest
   * value; 1e-5 of that scale is a wide margin that any real error exceeds.
   */
  @Test
  void float32ForwardMatchesThePlainJavaReferenceTo1e5OfTheScale() {
    assertMatchesReference(DataType.FLOAT32, 1e-5);
  }

  /**
   * float64 leaves about 1e-15 per operation, plus up to about 1e-12 from LayerNorm's eps, which DJL takes as the
   * float 1e-5f (2.5e-9 off the double 1e-5 the reference uses); 1e-10 of the scale covers both.
   */
  @Test
  void float64ForwardMatchesThePlainJavaReferenceTo1e10OfTheScale() {
    assertMatchesReference(DataType.FLOAT64, 1e-10);
  }

  private static void assertMatchesReference(DataType dtype, double relative) {
    try (BertModel model = BertModel.create(TINY, manager, dtype, 42);
        NDManager step = manager.newSubManager()) {
      ReferenceBert reference = new ReferenceBert(TINY, toDoubles(model.parameters()));
      BertOutput out =
          model.forward(
              step.create(TOKENS).toType(DataType.INT64, false),
              step.create(SEGMENTS).toType(DataType.INT64, false),
              step.create(new float[] {VALID[0], VALID[1]}),
              step.create(POSITIONS).toType(DataType.INT64, false),
              false);
      assertThat(out.encoded().getShape()).isEqualTo(new Shape(2, 9, 8));
      assertThat(out.mlmLogitsOrNull().getShape()).isEqualTo(new Shape(2, 3, 11));
      assertThat(out.nspLogits().getShape()).isEqualTo(new Shape(2, 2));
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
      Numeric.assertAllClose("encoded", out.encoded().toType(DataType.FLOAT64, false).toDoubleArray(), refEncoded,
          relative, 0);
      Numeric.assertAllClose("mlm logits", out.mlmLogitsOrNull().toType(DataType.FLOAT64, false).toDoubleArray(),
          refMlm, relative, 0);
      Numeric.assertAllClose("nsp logits", out.nspLogits().toType(DataType.FLOAT64, false).toDoubleArray(), refNsp,
          relative, 0);
    }
  }

  static Map<String, double[]> toDoubles(Map<String, NDArray> params) {
    Map<String, double[]> out = new HashMap<>();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      try (NDArray d = e.getValue().toType(DataType.FLOAT64, true)) {
        out.put(e.getKey(), d.toDoubleArray());
      }
    }
    return out;
  }
}
