package dev.jbert.data;

import dev.jbert.JbertException;
import java.util.Locale;

/**
 * How the masked-LM targets are drawn (spec section 5; the defaults are d2l's and BERT's).
 *
 * @param rate the share of a pair's tokens the masked LM predicts: {@code max(1, round_half_even(length * rate))}
 *     (0.15)
 * @param mask the share of the predicted tokens replaced by {@code <mask>} (0.8)
 * @param keep the share left as they are (0.1)
 * @param random the share replaced by a token drawn from the whole vocabulary (0.1)
 * @param wholeWord choose whole words: a token starting with {@code ##} is predicted together with the word it
 *     continues, as Google's whole-word-masking models do; each token of a chosen word still draws its own
 *     mask/keep/random
 */
public record MaskConfig(double rate, double mask, double keep, double random, boolean wholeWord) {
  /** A WordPiece token that continues the previous token's word. */
  public static final String CONTINUATION = "##";

  public MaskConfig {
    if (!(rate > 0 && rate <= 1)) {
      throw new JbertException("--mask-rate must lie in (0, 1], got " + rate + " (d2l and BERT use 0.15)");
    }
    for (double share : new double[] {mask, keep, random}) {
      if (!(share >= 0 && share <= 1)) {
        throw new JbertException("--mask-split shares must lie in [0, 1], got " + split(mask, keep, random)
            + " (d2l and BERT use 0.8,0.1,0.1)");
      }
    }
    if (Math.abs(mask + keep + random - 1) > 1e-9) {
      throw new JbertException("--mask-split must add up to 1 (mask, keep, random), got " + split(mask, keep, random)
          + " (d2l and BERT use 0.8,0.1,0.1)");
    }
  }

  /** d2l's and BERT's: 15%, 80/10/10, token by token. */
  public static MaskConfig d2l() {
    return new MaskConfig(0.15, 0.8, 0.1, 0.1, false);
  }

  /** The same rule with another split, parsed from {@code "mask,keep,random"} (as {@code --mask-split 0.8,0.1,0.1}). */
  public MaskConfig withSplit(String split) {
    String[] parts = split.split(",", -1);
    if (parts.length != 3) {
      throw new JbertException("--mask-split takes three shares, mask,keep,random (as 0.8,0.1,0.1), got '" + split
          + "'");
    }
    double[] shares = new double[3];
    for (int i = 0; i < 3; i++) {
      try {
        shares[i] = Double.parseDouble(parts[i].strip());
      } catch (NumberFormatException e) {
        throw new JbertException("--mask-split takes three numbers, mask,keep,random (as 0.8,0.1,0.1), got '"
            + split + "'");
      }
    }
    return new MaskConfig(rate, shares[0], shares[1], shares[2], wholeWord);
  }

  public MaskConfig withRate(double newRate) {
    return new MaskConfig(newRate, mask, keep, random, wholeWord);
  }

  public MaskConfig withWholeWord(boolean newWholeWord) {
    return new MaskConfig(rate, mask, keep, random, newWholeWord);
  }

  /**
   * The probability of keep once {@code <mask>} was not drawn: d2l draws mask (0.8), then keep or random (0.5 each)
   * with a second number, and this form keeps that sequence of draws (0.1 / (0.1 + 0.1) is exactly 0.5).
   */
  double keepGivenNotMasked() {
    return keep + random == 0 ? 1 : keep / (keep + random);
  }

  /** The number of predictions for a pair of {@code length} tokens: Python's {@code round}, so 30 * 0.15 gives 4. */
  public int predictions(int length) {
    return Math.max(1, (int) Math.rint(length * rate));
  }

  private static String split(double mask, double keep, double random) {
    return String.format(Locale.ROOT, "%s,%s,%s", mask, keep, random);
  }
}
