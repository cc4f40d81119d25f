package dev.jbert.train;

/**
 * Nanoseconds spent in each phase of the training steps timed so far: making the batch's arrays, forward, backward,
 * the all-reduce of the gradients between processes, and the optimiser update. The benchmark reads it; the loop fills
 * it.
 */
public final class PhaseTimes {
  long dataNs;
  long forwardNs;
  long backwardNs;
  long optimizerNs;
  long allreduceNs;

  public double dataMs() {
    return dataNs / 1e6;
  }

  public double forwardMs() {
    return forwardNs / 1e6;
  }

  public double backwardMs() {
    return backwardNs / 1e6;
  }

  public double optimizerMs() {
    return optimizerNs / 1e6;
  }

  /** The gradients' (and losses') all-reduce between processes: 0 in one process. */
  public double allreduceMs() {
    return allreduceNs / 1e6;
  }

  public void reset() {
    dataNs = 0;
    forwardNs = 0;
    backwardNs = 0;
    optimizerNs = 0;
    allreduceNs = 0;
  }
}
