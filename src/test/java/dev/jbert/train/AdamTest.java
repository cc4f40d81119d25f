package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.Numeric;
import dev.jbert.Torch;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
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
    // the tiny gradient is where an eps applied before the bias correction (as DJL's Adam did) differs
    double[][] gradsPerWeight = {{0.5, -0.25, 1.0}, {1e-9, 2e-9, -1e-9}};
    try (PointerScope scope = new PointerScope()) {
      Tensor w = Torch.doubles(new double[] {1.0, -2.0}).set_requires_grad(true);
      Map<String, Tensor> params = Map.of("w", w);
      try (Adam adam = new Adam((float) B1, (float) B2, (float) EPS, params)) {
        for (int t = 0; t < 3; t++) {
          try (PointerScope step = new PointerScope()) {
            Tensor c = Torch.doubles(new double[] {gradsPerWeight[0][t], gradsPerWeight[1][t]});
            c.mul(w).sum().backward();
          }
          adam.step(params, (float) LR);
        }
        double[] got = Torch.toDoubles(w);
        // lr, betas and eps travel as float32 (6e-8 relative rounding each), so the updates, about 0.3 here, agree
        // to some 1e-7 of their size; 1e-5 of it leaves a margin of 100, and an eps applied at the wrong place
        // changes the tiny-gradient update by a factor
        Numeric.assertClose("update of w[0]", got[0] - 1.0, torchAdam(1.0, gradsPerWeight[0]) - 1.0, 1e-5);
        Numeric.assertClose("update of w[1]", got[1] + 2.0, torchAdam(-2.0, gradsPerWeight[1]) + 2.0, 1e-5);
        assertThat(adam.steps()).isEqualTo(3);
        assertThat(Torch.toDoubles(w.grad())).containsExactly(0, 0);
      }
    }
  }

  @Test
  void restoredStateContinuesExactlyLikeTheOriginal() {
    try (PointerScope scope = new PointerScope()) {
      Tensor a = Torch.floats(new float[] {0.3f, -0.7f, 1.1f});
      Tensor b = a.clone();
      a.set_requires_grad(true);
      b.set_requires_grad(true);
      Map<String, Tensor> pa = Map.of("w", a);
      Map<String, Tensor> pb = Map.of("w", b);
      try (Adam first = new Adam(0.9f, 0.999f, 1e-8f, pa); Adam second = new Adam(0.9f, 0.999f, 1e-8f, pb)) {
        for (int t = 0; t < 4; t++) {
          backwardSquare(a);
          first.step(pa, 0.01f);
          if (t == 1) {
            // the second optimiser takes over after two steps from the first one's saved state and weights
            second.restore(first.state(), first.steps());
            try (NoGradGuard noGrad = new NoGradGuard()) {
              b.mul_(Torch.scalar(0)).add_(a);
            }
          } else if (t > 1) {
            backwardSquare(b);
            second.step(pb, 0.01f);
          }
        }
        assertThat(Torch.toFloats(b)).containsExactly(Torch.toFloats(a));
      }
    }
  }

  @Test
  void restoringCopiesTheStateSoTheSourceOptimiserMayGoOn() {
    // restore() copies into the optimiser's own moments: the saved tensors may be another optimiser's live state,
    // which then must keep moving on its own without dragging the restored one along
    try (PointerScope scope = new PointerScope()) {
      Tensor a = Torch.floats(new float[] {0.3f, -0.7f, 1.1f}).set_requires_grad(true);
      Tensor b = a.clone().detach().set_requires_grad(true);
      Map<String, Tensor> pa = Map.of("w", a);
      Map<String, Tensor> pb = Map.of("w", b);
      try (Adam first = new Adam(0.9f, 0.999f, 1e-8f, pa); Adam second = new Adam(0.9f, 0.999f, 1e-8f, pb)) {
        backwardSquare(a);
        first.step(pa, 0.01f);
        second.restore(first.state(), first.steps());
        float[] restoredM = Torch.toFloats(second.state().get("adam.m.w"));
        backwardSquare(a);
        first.step(pa, 0.01f);
        assertThat(Torch.toFloats(first.state().get("adam.m.w"))).isNotEqualTo(restoredM);
        assertThat(Torch.toFloats(second.state().get("adam.m.w"))).containsExactly(restoredM);
      }
    }
  }

  private static void backwardSquare(Tensor w) {
    try (PointerScope step = new PointerScope()) {
      Tensor x = Torch.floats(new float[] {1f, 2f, 3f});
      x.mul(w).mul(w).sum().backward();
      assertThat(Torch.dtype(w.grad())).isEqualTo(ScalarType.Float);
    }
  }
}
