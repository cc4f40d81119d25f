package dev.jbert.model;

import ai.djl.ndarray.NDArray;

/**
 * The only place the model draws dropout masks (torch dropout: zero with probability {@code rate}, scale the kept values
 * by 1 / (1 - rate)). Identity unless {@code training}. Swap the body here to change how masks are drawn.
 */
public final class Dropout {
  private final float rate;

  public Dropout(float rate) {
    this.rate = rate;
  }

  public float rate() {
    return rate;
  }

  public NDArray forward(NDArray x, boolean training) {
    if (!training || rate == 0f) {
      return x;
    }
    return ai.djl.nn.norm.Dropout.dropout(x, rate, true).singletonOrThrow();
  }
}
