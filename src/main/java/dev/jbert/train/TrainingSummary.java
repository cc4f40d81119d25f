package dev.jbert.train;

import java.util.List;

/**
 * What a run reports at the end (spec section 8), also written as {@code summary.json}.
 *
 * @param mlmLoss mean over all steps of the per-step MLM loss
 * @param nspLoss mean over all steps of the per-step NSP loss
 * @param pairsPerS sum of batch sizes over the sum of timed step seconds
 * @param steps steps done (fewer than asked when the run was interrupted)
 * @param seconds timed training seconds
 * @param devices the devices as libtorch names them, e.g. [cpu] or [cuda:0, cuda:1]
 * @param params number of model parameters
 */
public record TrainingSummary(
    double mlmLoss,
    double nspLoss,
    double pairsPerS,
    int steps,
    double seconds,
    List<String> devices,
    long params,
    double valMlmLoss,
    double valMlmAccuracy,
    double valPerplexity,
    double valNspAccuracy,
    boolean interrupted) {}
