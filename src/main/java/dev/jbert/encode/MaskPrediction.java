package dev.jbert.encode;

import java.util.List;

/**
 * The MLM head's best guesses for one {@code <mask>}.
 *
 * @param position the index of the {@code <mask>} in the encoded tokens ({@code <cls>} is 0)
 * @param predictions the most probable tokens, most probable first
 */
public record MaskPrediction(int position, List<Prediction> predictions) {

  /**
   * A token and its probability (softmax over the whole vocabulary).
   *
   * @param word the whole word the token makes at the mask: a WordPiece token joined with the {@code ##} pieces around
   *     it ("##s" after "cat" gives "cats"); the token itself for d2l's words
   */
  public record Prediction(String token, double probability, String word) {}
}
