package dev.jbert.encode;

import dev.jbert.JbertException;
import dev.jbert.data.Tokenizer;
import java.util.List;

/**
 * One input to the encoder: text {@code a}, or a pair {@code a}, {@code b}. Each is given as text, split into tokens
 * by the model's tokenizer when it is encoded (d2l's words: lower case, split on white space, as the corpus; WordPiece:
 * BERT's pieces), or as tokens used as given.
 *
 * @param a the first segment
 * @param b the second segment, or null for a single text
 */
public record Input(Part a, Part b) {
  /**
   * One segment: {@code text} to tokenize, or {@code tokens} as given (exactly one is not null).
   *
   * @param what how an error names it ("the text", "the second text of the pair")
   */
  public record Part(String text, List<String> tokens, String what) {
    public Part {
      tokens = tokens == null ? null : List.copyOf(tokens);
      if (tokens != null && tokens.isEmpty() || tokens == null && (text == null || text.isBlank())) {
        throw empty(what);
      }
    }

    /** The tokens of this part under {@code tokenizer}; an error when the text gives none. */
    public List<String> tokens(Tokenizer tokenizer) {
      if (tokens != null) {
        return tokens;
      }
      List<String> pieces = tokenizer.tokenize(text);
      if (pieces.isEmpty()) {
        throw empty(what);
      }
      return pieces;
    }
  }

  private static final String A = "the text";
  private static final String B = "the second text of the pair";

  public Input {
    if (a == null) {
      throw empty(A);
    }
  }

  private static JbertException empty(String what) {
    return new JbertException(what + " is empty; give at least one word");
  }

  /** A single text, tokenised by the model. */
  public static Input text(String a) {
    return new Input(new Part(a, null, A), null);
  }

  /** A pair of texts, tokenised by the model. */
  public static Input pair(String a, String b) {
    return new Input(new Part(a, null, A), new Part(b, null, B));
  }

  /** Tokens used as given (no lower-casing, no splitting into pieces). */
  public static Input tokens(List<String> a) {
    return new Input(new Part(null, a, A), null);
  }

  /** A pair of token lists used as given. */
  public static Input tokens(List<String> a, List<String> b) {
    return new Input(new Part(null, a, A), new Part(null, b, B));
  }

  public boolean isPair() {
    return b != null;
  }
}
