package dev.jbert;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Comparisons of float computations whose summation order may differ between CPUs (AVX2 and AVX-512 kernels, thread
 * counts) or between code paths. Each tolerance is relative to the scale of the values compared, never absolute near
 * zero: an entry that is 0 in exact arithmetic keeps only rounding noise, which is proportional to the magnitude of
 * the terms summed, not to the entry itself.
 */
public final class Numeric {
  /** Set JBERT_NUMERIC_LOG=1 to print every comparison's largest difference against its tolerance (for calibration). */
  private static final boolean LOG = System.getenv("JBERT_NUMERIC_LOG") != null;

  private Numeric() {}

  public static double maxAbs(double[] values) {
    double max = 0;
    for (double v : values) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }

  public static double maxAbs(float[] values) {
    double max = 0;
    for (float v : values) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }

  public static double[] widen(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  /** The largest |actual[i] - expected[i]|. */
  public static double maxAbsDiff(double[] actual, double[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    }
    return worst;
  }

  /**
   * Asserts |actual[i] - expected[i]| <= tolerance for every i, with {@code tolerance = relative * max|expected| +
   * floor}, and returns the largest difference. The message names the first entry out of tolerance. {@code floor} is
   * for a tensor that may be all rounding noise (a gradient that is 0 in exact arithmetic): pass a bound derived from
   * the scale of the computation it came from, or 0.
   */
  public static double assertAllClose(String what, double[] actual, double[] expected, double relative, double floor) {
    assertThat(actual).as(what + ": length").hasSameSizeAs(expected);
    double tolerance = relative * maxAbs(expected) + floor;
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs(actual[i] - expected[i]);
      if (!(diff <= tolerance)) { // also catches NaN
        throw new AssertionError(String.format("%s[%d]: %.9g vs expected %.9g, |diff| %.3g > tolerance %.3g"
            + " (%.1g x max|expected| %.4g + %.3g)", what, i, actual[i], expected[i], diff, tolerance, relative,
            maxAbs(expected), floor));
      }
      worst = Math.max(worst, diff);
    }
    if (LOG) {
      System.out.printf("NUMERIC %s: max |diff| %.3g, tolerance %.3g (%.3g of it)%n", what, worst, tolerance,
          worst / tolerance);
    }
    return worst;
  }

  public static double assertAllClose(String what, float[] actual, float[] expected, double relative, double floor) {
    return assertAllClose(what, widen(actual), widen(expected), relative, floor);
  }

  /** |actual - expected| <= relative * |expected|, for scalars such as losses (never near 0 where this is used). */
  public static void assertClose(String what, double actual, double expected, double relative) {
    double tolerance = relative * Math.abs(expected);
    if (LOG) {
      System.out.printf("NUMERIC %s: |diff| %.3g, tolerance %.3g (%.3g of it)%n", what, Math.abs(actual - expected),
          tolerance, Math.abs(actual - expected) / tolerance);
    }
    if (!(Math.abs(actual - expected) <= tolerance)) {
      throw new AssertionError(String.format("%s: %.12g vs expected %.12g, |diff| %.3g > tolerance %.3g (%.1g relative)",
          what, actual, expected, Math.abs(actual - expected), tolerance, relative));
    }
  }
}
