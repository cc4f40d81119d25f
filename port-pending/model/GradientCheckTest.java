package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Autograd of the whole pretraining loss against central finite differences, in float64. */
class GradientCheckTest {
  static final BertConfig TINY = new BertConfig(7, 4, 6, 2, 2, 0f, 8);
  static final long[][] TOKENS = {{1, 5, 6, 2, 3, 2}, {1, 4, 2, 6, 2, 0}};
  static final long[][] SEGMENTS = {{0, 0, 0, 0, 1, 1}, {0, 0, 0, 1, 1, 0}};
  static final float[] VALID = {6, 5};
  static final long[][] POSITIONS = {{1, 4, 0}, {3, 1, 0}};
  static final long[][] MLM_LABELS = {{5, 3, 0}, {6, 4, 0}};
  static final float[][] MLM_WEIGHTS = {{1, 1, 0}, {1, 1, 0}};
  static final long[] NSP_LABELS = {1, 0};

  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** Weighted per-slot MLM cross-entropy sum(ce * w) / (sum(w) + 1e-8) plus mean NSP cross-entropy (spec section 8). */
  static NDArray pretrainingLoss(BertModel model, NDManager step) {
    BertOutput out = model.forward(
        step.create(TOKENS), step.create(SEGMENTS), step.create(VALID), step.create(POSITIONS), true);
    NDArray logits = out.mlmLogitsOrNull(); // (B, P, V)
    long n = logits.getShape().get(0) * logits.getShape().get(1);
    NDArray labels = step.create(MLM_LABELS).reshape(n, 1);
    NDArray weights = step.create(MLM_WEIGHTS).reshape(n).toType(logits.getDataType(), false);
    NDArray ce = logits.reshape(n, -1).logSoftmax(1).gather(labels, 1).reshape(n).neg(); // (N)
    NDArray mlm = ce.mul(weights).sum().div(weights.sum().add(1e-8));
    NDArray nspLabels = step.create(NSP_LABELS).reshape(-1, 1);
    NDArray nsp = out.nspLogits().logSoftmax(1).gather(nspLabels, 1).neg().mean();
    return mlm.add(nsp);
  }

  @Test
  void analyticGradientsOfEveryParameterTensorMatchCentralDifferences() {
    try (BertModel model = BertModel.create(TINY, manager, DataType.FLOAT64, 11)) {
      Map<String, double[]> analytic = new LinkedHashMap<>();
      try (NDManager step = manager.newSubManager()) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(pretrainingLoss(model, step));
        }
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          try (NDArray g = e.getValue().getGradient()) {
            analytic.put(e.getKey(), g.toDoubleArray());
          }
        }
      }
      Map<String, double[]> base = GoldenForwardTest.toDoubles(model.parameters());
      double loss = lossWith(model, base, "encoder.pos_embedding", 0, 0);
      // The central difference carries the rounding of the two losses, an ulp or two of |loss| over 2 eps: about
      // 2e-10 |loss| here (its truncation error, eps^2 times the third derivative, is smaller still). Hence an
      // absolute part of 1e-7 |loss|, some 500 times that noise, plus 1e-5 relative to the derivative itself.
      double floor = 1e-7 * Math.abs(loss);
      Random random = new Random(3);
      double eps = 1e-6;
      int checked = 0;
      int nonZero = 0;
      List<String> failures = new ArrayList<>();
      for (String name : model.parameters().keySet()) {
        double[] g = analytic.get(name);
        int[] sample = {0, g.length - 1, random.nextInt(g.length)};
        for (int i : sample) {
          double plus = lossWith(model, base, name, i, eps);
          double minus = lossWith(model, base, name, i, -eps);
          double numeric = (plus - minus) / (2 * eps);
          checked++;
          if (Math.abs(numeric) > 10 * floor) {
            nonZero++;
          }
          if (!(Math.abs(numeric - g[i]) <= floor + 1e-5 * Math.abs(numeric))) {
            failures.add(name + "[" + i + "]: analytic " + g[i] + ", numeric " + numeric);
          }
        }
      }
      assertThat(failures).isEmpty();
      assertThat(checked).isEqualTo(3 * model.parameters().size());
      assertThat(nonZero).isGreaterThan(checked / 2);
    }
  }

  private static double lossWith(BertModel model, Map<String, double[]> base, String name, int index, double delta) {
    try (NDManager scratch = manager.newSubManager()) {
      Map<String, NDArray> weights = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        double[] values = base.get(e.getKey());
        if (e.getKey().equals(name)) {
          values = values.clone();
          values[index] += delta;
        }
        weights.put(e.getKey(), scratch.create(values, e.getValue().getShape()));
      }
      try (BertModel perturbed = BertModel.fromParameters(TINY, scratch, weights)) {
        return pretrainingLoss(perturbed, scratch).getDouble();
      }
    }
  }

  @Test
  void repeatedPredictionPositionsAccumulateGradient() {
    try (BertModel model = BertModel.create(TINY, manager, DataType.FLOAT64, 11);
        NDManager step = manager.newSubManager()) {
      NDArray encoded = step.randomNormal(new Shape(1, 4, 4), DataType.FLOAT64);
      encoded.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray rows = MaskLm.gather(encoded, step.create(new long[][] {{2, 2, 0}}));
        assertThat(rows.get("0, 0, :").toDoubleArray()).containsExactly(encoded.get("0, 2, :").toDoubleArray());
        gc.backward(rows.sum());
      }
      double[] grad = encoded.getGradient().toDoubleArray();
      assertThat(grad[2 * 4]).isEqualTo(2.0);
      assertThat(grad[0]).isEqualTo(1.0);
      assertThat(grad[4]).isEqualTo(0.0);
    }
  }
}
