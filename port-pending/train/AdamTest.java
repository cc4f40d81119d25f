package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.jbert.Numeric;
import dev.jbert.model.GradMode;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamTest {
  private static final double LR = 0.1;
  private static final double B1 = 0.9;
  private static final double B2 = 0.999;
  private static final double EPS = 1e-8;

  /** torch.optim.Adam's update, written out in double for one scalar weight and a sequence of gradients. */
  private static double torchAdam(double w, double[] grads) {
    double m = 0;
    double v = 0;
    for (int t = 1; t <= grads.length; t++) {
      double g = grads[t - 1];
      m = B1 * m + (1 - B1) * g;
      v = B2 * v + (1 - B2) * g * g;
      double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(B2, t)) + EPS;
      w -= LR / (1 - Math.pow(B1, t)) * m / denom;
    }
    return w;
  }

  @Test
  void updatesFollowTorchsFormulaIncludingTinyGradients() {
    GradMode.off();
    // the tiny gradient is where DJL's Adam differs: its eps acts before the bias correction
    double[][] gradsPerWeight = {{0.5, -0.25, 1.0}, {1e-9, 2e-9, -1e-9}};
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.create(new double[] {1.0, -2.0});
      w.setRequiresGradient(true);
      Map<String, NDArray> params = Map.of("w", w);
      try (Adam adam = new Adam((float) B1, (float) B2, (float) EPS, params, m)) {
        for (int t = 0; t < 3; t++) {
          try (NDManager step = m.newSubManager();
              GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray c = step.create(new double[] {gradsPerWeight[0][t], gradsPerWeight[1][t]});
            gc.backward(c.mul(w).sum());
          }
          adam.step(params, (float) LR);
        }
        double[] got = w.toDoubleArray();
        // lr, betas and eps travel as float32 (6e-8 relative rounding each), so the updates, about 0.3 here, agree
        // to some 1e-7 of their size; 1e-5 of it leaves a margin of 100, and an eps applied at the wrong place
        // changes the tiny-gradient update by a factor
        Numeric.assertClose("update of w[0]", got[0] - 1.0, torchAdam(1.0, gradsPerWeight[0]) - 1.0, 1e-5);
        Numeric.assertClose("update of w[1]", got[1] + 2.0, torchAdam(-2.0, gradsPerWeight[1]) + 2.0, 1e-5);
        assertThat(adam.steps()).isEqualTo(3);
        assertThat(w.getGradient().toDoubleArray()).containsExactly(0, 0);
      }
    }
  }

  @Test
  void restoredStateContinuesExactlyLikeTheOriginal() {
    GradMode.off();
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new float[] {0.3f, -0.7f, 1.1f});
      NDArray b = a.duplicate();
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      Map<String, NDArray> pa = Map.of("w", a);
      Map<String, NDArray> pb = Map.of("w", b);
      try (Adam first = new Adam(0.9f, 0.999f, 1e-8f, pa, m); Adam second = new Adam(0.9f, 0.999f, 1e-8f, pb, m)) {
        for (int t = 0; t < 4; t++) {
          backwardSquare(m, a);
          first.step(pa, 0.01f);
          if (t == 1) {
            // the second optimiser takes over after two steps from the first one's saved state and weights
            second.restore(first.state(), first.steps());
            b.muli(0).addi(a);
          } else if (t > 1) {
            backwardSquare(m, b);
            second.step(pb, 0.01f);
          }
        }
        assertThat(b.toFloatArray()).containsExactly(a.toFloatArray());
      }
    }
  }

  private static void backwardSquare(NDManager m, NDArray w) {
    try (NDManager step = m.newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray x = step.create(new float[] {1f, 2f, 3f});
      gc.backward(x.mul(w).mul(w).sum());
    }
    assertThat(w.getGradient().getDataType()).isEqualTo(DataType.FLOAT32);
  }
}
