package dev.jbert.train;

/**
 * Steady-state training speed of the d2l configuration (milliseconds are per step, means over the timed steps).
 *
 * @param modelGflops achieved model GFLOP/s: the multiply-adds of the work actually done (see {@link ModelFlops}),
 *     times 2, over the step time
 * @param matmulGflops GFLOP/s of a 2048 x 2048 matrix product in the precision trained, measured in the same process
 *     (with several processes: their rates added up, measured at the same time)
 * @param flopRatio modelGflops / matmulGflops
 * @param peakRssMb the process's peak resident set size (VmHWM)
 * @param allreduceMs the all-reduce of gradients and losses between processes after backward (0 in one process):
 *     with the gradients overlapped, what was left to send and to wait for when backward ended
 * @param processes processes training together, each on its share of every batch
 * @param allreduce when the gradients were sent ({@code overlapped}, {@code after-backward}; empty in one process)
 * @param buckets the buckets the gradients travel in (0 in one process)
 * @param bucketsDuringBackward of those, how many a step sent while backward ran, on average
 */
public record BenchResult(
    double pairsPerS,
    double stepMs,
    double dataMs,
    double forwardMs,
    double backwardMs,
    double optimizerMs,
    double modelGflops,
    double matmulGflops,
    double flopRatio,
    double peakRssMb,
    double allreduceMs,
    int processes,
    String allreduce,
    int buckets,
    double bucketsDuringBackward) {}
