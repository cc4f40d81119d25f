package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.Numeric;
import dev.jbert.Torch;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class PretrainingLossTest {
  /**
   * A float32 result of a handful of operations against the exact value: a few ulps, each 6e-8 relative at most;
   * 1e-6 relative allows 16.
   */
  private static final double FLOAT32_FEW_OPS = 1e-6;

  @Test
  void crossEntropyMatchesTheHandValue() {
    try (PointerScope scope = new PointerScope()) {
      Tensor logits = Torch.floats(new float[] {1, 2, 3, 0, 0, 0}, 2, 3);
      Tensor labels = Torch.longs(new long[] {2, 0});
      float[] ce = Torch.toFloats(PretrainingLoss.crossEntropy(logits, labels));
      // -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2); uniform over 3 classes: log 3
      Numeric.assertClose("ce[0]", ce[0], Math.log(1 + Math.exp(-1) + Math.exp(-2)), FLOAT32_FEW_OPS);
      Numeric.assertClose("ce[1]", ce[1], Math.log(3), FLOAT32_FEW_OPS);
    }
  }

  @Test
  void paddedSlotsContributeNothingToTheWeightedMlmLoss() {
    try (PointerScope scope = new PointerScope()) {
      // slot 1 is padding (weight 0) with a label the logits call hopeless: it must not move the loss
      Tensor logits = Torch.floats(new float[] {1, 2, 3, 50, -50, 0}, 2, 3);
      Tensor labels = Torch.longs(new long[] {2, 1});
      Tensor weights = Torch.floats(new float[] {1, 0});
      double loss = PretrainingLoss.crossEntropySum(logits, labels, weights).item_float()
          / (1 + PretrainingLoss.WEIGHT_EPS);
      Numeric.assertClose("loss", loss, Math.log(1 + Math.exp(-1) + Math.exp(-2)), FLOAT32_FEW_OPS);
    }
  }

  @Test
  void largeLogitsStayFinite() {
    try (PointerScope scope = new PointerScope()) {
      Tensor logits = Torch.floats(new float[] {1000, 0, -1000}, 1, 3);
      float ce = PretrainingLoss.crossEntropy(logits, Torch.longs(new long[] {1})).item_float();
      Numeric.assertClose("ce", ce, 1000, FLOAT32_FEW_OPS);
    }
  }

  @Test
  void lossAndGradientAreTheHandValuesDividedByTheDenominator() {
    try (PointerScope scope = new PointerScope()) {
      Tensor logits = Torch.floats(new float[] {1, 2, 3, 0, 0, 0}, 2, 3);
      Tensor labels = Torch.longs(new long[] {2, 0});
      PretrainingLoss.LossAndGradient ce = PretrainingLoss.crossEntropyWithGradient(logits, labels, 4);
      double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
      Numeric.assertClose("loss sum", ce.lossSum(), Math.log(1 + Math.exp(-1) + Math.exp(-2)) + Math.log(3),
          FLOAT32_FEW_OPS);
      double[] expected = {Math.exp(1) / z / 4, Math.exp(2) / z / 4, (Math.exp(3) / z - 1) / 4,
          (1 / 3.0 - 1) / 4, 1 / 3.0 / 4, 1 / 3.0 / 4};
      Numeric.assertAllClose("gradient", Numeric.widen(Torch.toFloats(ce.gradient())), expected, FLOAT32_FEW_OPS, 0);
    }
  }

  @Test
  void theInPlaceAndOneHotGradientsAgree() {
    Torch.load();
    try (PointerScope scope = new PointerScope()) {
      torch.manual_seed(3);
      Tensor logits = torch.randn(37, 101).mul(Torch.scalar(4));
      Tensor labels = torch.randint(101, new long[] {37});
      PretrainingLoss.LossAndGradient fast = PretrainingLoss.crossEntropyWithGradient(logits, labels, 7);
      PretrainingLoss.LossAndGradient oneHot = PretrainingLoss.crossEntropyWithGradientOneHot(logits, labels, 7);
      // two formulas over 37 rows of 101 logits, summed in other orders: 1e-6 of the scale is some 10 float32 ulps
      Numeric.assertClose("loss sum", fast.lossSum(), oneHot.lossSum(), 1e-6);
      Numeric.assertAllClose("gradient", Torch.toFloats(fast.gradient()), Torch.toFloats(oneHot.gradient()), 1e-6, 0);
    }
  }

  @Test
  void anUnderflowedLabelProbabilityStillGivesAFiniteLoss() {
    try (PointerScope scope = new PointerScope()) {
      Tensor logits = Torch.floats(new float[] {1000, 0, -1000}, 1, 3);
      PretrainingLoss.LossAndGradient ce =
          PretrainingLoss.crossEntropyWithGradient(logits, Torch.longs(new long[] {2}), 1);
      Numeric.assertClose("loss sum", ce.lossSum(), 2000, FLOAT32_FEW_OPS);
      assertThat(Torch.toFloats(ce.gradient())).containsExactly(1, 0, -1);
    }
  }

  @Test
  void rowsPicksEncoderOutputsByFlatIndex() {
    try (PointerScope scope = new PointerScope()) {
      Tensor encoded = Torch.floats(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 2, 3, 2); // (B=2, L=3, H=2)
      Tensor rows = PretrainingLoss.rows(encoded, Torch.longs(new long[] {4, 0, 2}));
      assertThat(Torch.shape(rows)).containsExactly(3, 2);
      assertThat(Torch.toFloats(rows)).containsExactly(8, 9, 0, 1, 4, 5);
    }
  }
}
