package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class PretrainingLossTest {

  @Test
  void crossEntropyMatchesTheHandValue() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {1, 2, 3, 0, 0, 0}, new Shape(2, 3));
      NDArray labels = m.create(new long[] {2, 0});
      float[] ce = PretrainingLoss.crossEntropy(logits, labels).toFloatArray();
      // -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2); uniform over 3 classes: log 3
      assertThat((double) ce[0]).isCloseTo(Math.log(1 + Math.exp(-1) + Math.exp(-2)), within(1e-6));
      assertThat((double) ce[1]).isCloseTo(Math.log(3), within(1e-6));
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
      assertThat(loss).isCloseTo(0.40760596, within(1e-6));
    }
  }

  @Test
  void largeLogitsStayFinite() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {1000, 0, -1000}, new Shape(1, 3));
      float ce = PretrainingLoss.crossEntropy(logits, m.create(new long[] {1})).getFloat();
      assertThat((double) ce).isCloseTo(1000, within(1e-3));
    }
  }

  @Test
  void lossAndGradientAreTheHandValuesDividedByTheDenominator() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {1, 2, 3, 0, 0, 0}, new Shape(2, 3));
      NDArray labels = m.create(new long[] {2, 0});
      PretrainingLoss.LossAndGradient ce = PretrainingLoss.crossEntropyWithGradient(logits, labels, 4);
      double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
      assertThat(ce.lossSum()).isCloseTo(Math.log(1 + Math.exp(-1) + Math.exp(-2)) + Math.log(3), within(1e-6));
      float[] g = ce.gradient().toFloatArray();
      double[] expected = {Math.exp(1) / z / 4, Math.exp(2) / z / 4, (Math.exp(3) / z - 1) / 4,
          (1 / 3.0 - 1) / 4, 1 / 3.0 / 4, 1 / 3.0 / 4};
      for (int i = 0; i < g.length; i++) {
        assertThat((double) g[i]).as("gradient[%d]", i).isCloseTo(expected[i], within(1e-7));
      }
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
      assertThat(fast.lossSum()).isCloseTo(oneHot.lossSum(), within(1e-4));
      assertThat(fast.gradient().sub(oneHot.gradient()).abs().max().getFloat()).isLessThan(1e-7f);
    }
  }

  @Test
  void anUnderflowedLabelProbabilityStillGivesAFiniteLoss() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {1000, 0, -1000}, new Shape(1, 3));
      PretrainingLoss.LossAndGradient ce = PretrainingLoss.crossEntropyWithGradient(logits, m.create(new long[] {2}), 1);
      assertThat(ce.lossSum()).isCloseTo(2000, within(1e-3));
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
