package dev.jbert.train;

import dev.jbert.model.BertConfig;

/**
 * Floating-point operations of one training step, counted from the matrix products the model actually runs (2 FLOPs
 * per multiply-add; backward = 2 x forward, so a step = 3 x forward). Per sequence of length T (the length its part of
 * the batch runs at, cut to the part's longest example), each encoder block does 4 T H^2 (Q, K, V, O projections) +
 * 2 T^2 H (scores and weighted sum) + 2 T H F (feed-forward) multiply-adds; NSP adds H^2 + 2H for the {@code <cls>}
 * row, and the MLM head H^2 + H V for each row it runs on.
 * Embedding look-ups, softmax, LayerNorm and the optimiser are left out.
 */
public final class ModelFlops {
  private ModelFlops() {}

  public static double perStep(BertConfig c, int sequences, int paddedLength, long mlmRows) {
    double h = c.hidden();
    double t = paddedLength;
    double perBlock = 4 * t * h * h + 2 * t * t * h + 2 * t * h * c.ffnHidden();
    double macs = sequences * (c.layers() * perBlock + h * h + 2 * h) + mlmRows * (h * h + h * c.vocabSize());
    return 3 * 2 * macs;
  }
}
