package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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

  @Test
  void float32ForwardMatchesThePlainJavaReferenceTo1e5() {
    assertMatchesReference(DataType.FLOAT32, 1e-5);
  }

  @Test
  void float64ForwardMatchesThePlainJavaReferenceTo1e10() {
    assertMatchesReference(DataType.FLOAT64, 1e-10);
  }

  private static void assertMatchesReference(DataType dtype, double tolerance) {
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
      double[] encoded = out.encoded().toType(DataType.FLOAT64, false).toDoubleArray();
      double[] mlm = out.mlmLogitsOrNull().toType(DataType.FLOAT64, false).toDoubleArray();
      double[] nsp = out.nspLogits().toType(DataType.FLOAT64, false).toDoubleArray();
      double worst = 0;
      for (int b = 0; b < 2; b++) {
        double[][] refEncoded = reference.encode(TOKENS[b], SEGMENTS[b], VALID[b]);
        for (int t = 0; t < 9; t++) {
          for (int j = 0; j < 8; j++) {
            worst = Math.max(worst, Math.abs(refEncoded[t][j] - encoded[(b * 9 + t) * 8 + j]));
          }
        }
        double[][] refMlm = reference.mlmLogits(refEncoded, POSITIONS[b]);
        for (int p = 0; p < 3; p++) {
          for (int v = 0; v < 11; v++) {
            worst = Math.max(worst, Math.abs(refMlm[p][v] - mlm[(b * 3 + p) * 11 + v]));
          }
        }
        double[] refNsp = reference.nspLogits(refEncoded);
        for (int c = 0; c < 2; c++) {
          worst = Math.max(worst, Math.abs(refNsp[c] - nsp[b * 2 + c]));
        }
      }
      assertThat(worst).isLessThanOrEqualTo(tolerance);
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
