package dev.jbert.train;

/**
 * One row of {@code metrics.csv}.
 *
 * @param step 1-based optimiser step
 * @param elapsedS training seconds up to and including this step (timed steps only: no evaluation or checkpoint)
 */
public record StepMetrics(int step, double mlmLoss, double nspLoss, double lr, double pairsPerS, double elapsedS) {}
