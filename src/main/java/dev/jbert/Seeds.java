package dev.jbert;

/**
 * Derives independent random streams from one user seed, so that work split over cores (one stream per paragraph, one
 * per epoch) draws the same numbers whatever the thread schedule.
 */
public final class Seeds {
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L; // SplitMix64's increment

  private Seeds() {}

  /** The seed of stream {@code index} under {@code seed}: SplitMix64's finaliser of {@code seed + (index + 1) * gamma}. */
  public static long mix(long seed, long index) {
    long z = seed + (index + 1) * GOLDEN_GAMMA;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
