package dev.jbert.train;

/** The two loss terms of one optimiser step, for the whole batch. */
public record StepLosses(double mlm, double nsp) {
  public double total() {
    return mlm + nsp;
  }

  public boolean finite() {
    return Double.isFinite(mlm) && Double.isFinite(nsp);
  }
}
