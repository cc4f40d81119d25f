package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.jbert.Numeric;
import org.junit.jupiter.api.Test;

class PretrainingLossTest {
  /**
   * A float32 result of a handful of operations against the exact value: a few ulps, each 6e-8 relative at most;
   * 1e-6 relative allows 16.
   */
  private static final double FLOAT32_FEW_OPS = 1e-6;

  @Test
  void crossEntropyMatchesTheHandValue() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {1, 2, 3, 0, 0, 0}, new Shape(2, 3));
      NDArray labels = m.create(new long[] {2, 0});
      float[] ce = PretrainingLoss.crossEntropy(logits, labels).toFloatArray();
      // -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2); uniform over 3 classes: log 3
      Numeric.assertClose("ce[0]", ce[0], Math.log(1 + Math.exp(-1) + Math.exp(-2)), FLOAT32_FEW_OPS);
      Numeric.assertClose("ce[1]", ce[1], Math.log(3), FLOAT32_FEW_OPS);
    }
  }

  @Test
  void paddedSlotsContributeNothingToTheWeightedMlmLoss() {
    try (NDManager m = NDManager.newBaseManager()) {
      // slot 1 is padding (weight 0) with a label the logits call hopeless: it must not move the loss
      NDArray logits = m.create(new float[] {1, 2, 3, 50, -50, 0}, new Shape(2, 3));
      NDArray labels = m.create(new long[] {2, 1});
      NDArray weights = m.create(new float[] {1, 0});
      double loss = PretrainingLoss.crossEntropySum(logits, labels, weights).getFloat()
          / (1 + PretrainingLoss.WEIGHT_EPS);
      Numeric.assertClose("loss", loss, Math.log(1 + Math.exp(-1) + Math.exp(-2)), FLOAT32_FEW_OPS);
    }
  }

  @Test
  void largeLogitsStayFinite() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {1000, 0, -1000}, new Shape(1, 3));
      float ce = PretrainingLoss.crossEntropy(logits, m.create(new long[] {1})).getFloat();
      Numeric.assertClose("ce", ce, 1000, FLOAT32_FEW_OPS);
    }
  }

  @Test
  void lossAndGradientAreTheHandValuesDividedByTheDenominator() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {1, 2, 3, 0, 0, 0}, new Shape(2, 3));
      NDArray labels = m.create(new long[] {2, 0});
      PretrainingLoss.LossAndGradient ce = PretrainingLoss.crossEntropyWithGradient(logits, labels, 4);
      double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
      Numeric.assertClose("loss sum", ce.lossSum(), Math.log(1 + Math.exp(-1) + Math.exp(-2)) + Math.log(3),
          FLOAT32_FEW_OPS);
      double[] expected = {Math.exp(1) / z / 4, Math.exp(2) / z / 4, (Math.exp(3) / z - 1) / 4,
          (1 / 3.0 - 1) / 4, 1 / 3.0 / 4, 1 / 3.0 / 4};
      Numeric.assertAllClose("gradient", Numeric.widen(ce.gradient().toFloatArray()), expected, FLOAT32_FEW_OPS, 0);
    }
  }

  @Test
  void theInPlaceAndOneHotGradientsAgree() {
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(3);
      NDArray logits = m.randomNormal(0, 4, new Shape(37, 101), ai.djl.ndarray.types.DataType.FLOAT32);
      NDArray labels = m.randomInteger(0, 101, new Shape(37), ai.djl.ndarray.types.DataType.INT64);
      PretrainingLoss.LossAndGradient fast = PretrainingLoss.crossEntropyWithGradient(logits, labels, 7);
      PretrainingLoss.LossAndGradient oneHot = PretrainingLoss.crossEntropyWithGradientOneHot(logits, labels, 7);
      // two formulas over 37 rows of 101 logits, summed in other orders: 1e-6 of the scale is some 10 float32 ulps
      Numeric.assertClose("loss sum", fast.lossSum(), oneHot.lossSum(), 1e-6);
      Numeric.assertAllClose("gradient", fast.gradient().toFloatArray(), oneHot.gradient().toFloatArray(), 1e-6, 0);
    }
  }

  @Test
  void anUnderflowedLabelProbabilityStillGivesAFiniteLoss() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {1000, 0, -1000}, new Shape(1, 3));
      PretrainingLoss.LossAndGradient ce = PretrainingLoss.crossEntropyWithGradient(logits, m.create(new long[] {2}), 1);
      Numeric.assertClose("loss sum", ce.lossSum(), 2000, FLOAT32_FEW_OPS);
      assertThat(ce.gradient().toFloatArray()).containsExactly(1, 0, -1);
    }
  }

  @Test
  void rowsPicksEncoderOutputsByFlatIndex() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray encoded = m.arange(0f, 2 * 3 * 2).reshape(2, 3, 2); // (B=2, L=3, H=2)
      NDArray rows = PretrainingLoss.rows(encoded, m.create(new long[] {4, 0, 2}));
      assertThat(rows.getShape()).isEqualTo(new Shape(3, 2));
      assertThat(rows.toFloatArray()).containsExactly(8, 9, 0, 1, 4, 5);
    }
  }
}
