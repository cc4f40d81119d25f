package dev.jbert.train;

/**
 * Held-out metrics, computed in inference mode.
 *
 * @param mlmLoss weighted MLM cross-entropy over the real prediction slots
 * @param mlmAccuracy share of real slots whose arg-max token is the label
 * @param perplexity exp(mlmLoss)
 * @param nspLoss mean NSP cross-entropy
 * @param nspAccuracy share of pairs whose arg-max NSP class is the label
 * @param examples number of sentence pairs evaluated
 */
public record EvalResult(
    double mlmLoss, double mlmAccuracy, double perplexity, double nspLoss, double nspAccuracy, int examples) {}
