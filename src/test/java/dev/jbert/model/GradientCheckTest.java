package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.Torch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** Autograd of the whole pretraining loss against central finite differences, in float64. */
class GradientCheckTest {
  static final BertConfig TINY = new BertConfig(7, 4, 6, 2, 2, 0f, 8);
  static final long[] TOKENS = {1, 5, 6, 2, 3, 2, 1, 4, 2, 6, 2, 0}; // (2, 6)
  static final long[] SEGMENTS = {0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0};
  static final float[] VALID = {6, 5};
  static final long[] POSITIONS = {1, 4, 0, 3, 1, 0}; // (2, 3)
  static final long[] MLM_LABELS = {5, 3, 0, 6, 4, 0};
  static final float[] MLM_WEIGHTS = {1, 1, 0, 1, 1, 0};
  static final long[] NSP_LABELS = {1, 0};

  /** Weighted per-slot MLM cross-entropy sum(ce * w) / (sum(w) + 1e-8) plus mean NSP cross-entropy (spec section 8). */
  static Tensor pretrainingLoss(BertModel model) {
    BertOutput out = model.forward(Torch.longs(TOKENS, 2, 6), Torch.longs(SEGMENTS, 2, 6), Torch.floats(VALID),
        Torch.longs(POSITIONS, 2, 3), Dropout.Keys.of(0, 2));
    Tensor logits = out.mlmLogitsOrNull(); // (B, P, V)
    long[] shape = Torch.shape(logits);
    long n = shape[0] * shape[1];
    Tensor labels = Torch.longs(MLM_LABELS).reshape(n, 1);
    Tensor weights = Torch.floats(MLM_WEIGHTS).reshape(n).to(Torch.dtype(logits));
    Tensor ce = logits.reshape(n, -1).log_softmax(1).gather(1, labels).reshape(n).neg(); // (N)
    Tensor mlm = ce.mul(weights).sum().div(weights.sum().add(Torch.scalar(1e-8)));
    Tensor nspLabels = Torch.longs(NSP_LABELS).reshape(-1, 1);
    Tensor nsp = out.nspLogits().log_softmax(1).gather(1, nspLabels).neg().mean();
    return mlm.add(nsp);
  }

  @Test
  void analyticGradientsOfEveryParameterTensorMatchCentralDifferences() {
    try (BertModel model = BertModel.create(TINY, ScalarType.Double, "cpu", 11)) {
      Map<String, double[]> analytic = new LinkedHashMap<>();
      try (PointerScope step = new PointerScope()) {
        pretrainingLoss(model).backward();
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
          analytic.put(e.getKey(), Torch.toDoubles(e.getValue().grad()));
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
    try (PointerScope scratch = new PointerScope(); NoGradGuard inference = new NoGradGuard()) {
      Map<String, Tensor> weights = new LinkedHashMap<>();
      for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
        double[] values = base.get(e.getKey());
        if (e.getKey().equals(name)) {
          values = values.clone();
          values[index] += delta;
        }
        weights.put(e.getKey(), Torch.doubles(values, Torch.shape(e.getValue())));
      }
      try (BertModel perturbed = BertModel.fromParameters(TINY, "cpu", weights)) {
        return pretrainingLoss(perturbed).item_double();
      }
    }
  }

  @Test
  void repeatedPredictionPositionsAccumulateGradient() {
    try (PointerScope step = new PointerScope()) {
      double[] values = new Random(4).doubles(16).toArray();
      Tensor encoded = Torch.doubles(values, 1, 4, 4).set_requires_grad(true);
      Tensor rows = BertModel.gather(encoded, Torch.longs(new long[] {2, 2, 0}, 1, 3));
      assertThat(Torch.toDoubles(rows.select(0, 0).select(0, 0)))
          .containsExactly(Torch.toDoubles(encoded.select(0, 0).select(0, 2)));
      rows.sum().backward();
      double[] grad = Torch.toDoubles(encoded.grad());
      assertThat(grad[2 * 4]).isEqualTo(2.0);
      assertThat(grad[0]).isEqualTo(1.0);
      assertThat(grad[4]).isEqualTo(0.0);
    }
  }
}
