package dev.jbert.encode;

import dev.jbert.JbertException;
import dev.jbert.data.Paragraphs;
import java.util.List;

/**
 * One input to the encoder: text {@code a}, or a pair {@code a}, {@code b}, as tokens. Text is normalised as the corpus
 * is (spec section 2): lower case, split on white space.
 *
 * @param a the first segment's tokens, not empty
 * @param b the second segment's tokens (not empty), or null for a single text
 */
public record Input(List<String> a, List<String> b) {
  public Input {
    a = nonEmpty(a, "the text");
    b = b == null ? null : nonEmpty(b, "the second text of the pair");
  }

  private static List<String> nonEmpty(List<String> tokens, String what) {
    if (tokens == null || tokens.isEmpty()) {
      throw new JbertException(what + " is empty; give at least one word");
    }
    return List.copyOf(tokens);
  }

  /** A single text, tokenised as the corpus. */
  public static Input text(String a) {
    return new Input(Paragraphs.tokenize(a == null ? "" : a), null);
  }

  /** A pair of texts, tokenised as the corpus. */
  public static Input pair(String a, String b) {
    return new Input(Paragraphs.tokenize(a == null ? "" : a), Paragraphs.tokenize(b == null ? "" : b));
  }

  /** Tokens used as given (no lower-casing). */
  public static Input tokens(List<String> a) {
    return new Input(a, null);
  }

  /** A pair of token lists used as given (no lower-casing). */
  public static Input tokens(List<String> a, List<String> b) {
    return new Input(a, b);
  }

  public boolean isPair() {
    return b != null;
  }
}
