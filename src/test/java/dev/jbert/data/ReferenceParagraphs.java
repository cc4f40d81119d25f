package dev.jbert.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Spec section 2 over strings, as d2l's {@code _read_wiki} and {@code tokenize(..., 'word')} read it: the oracle that
 * the build's tokenizer ({@link TokenizedCorpus}, over chars) is checked against.
 */
public final class ReferenceParagraphs {
  private ReferenceParagraphs() {}

  /**
   * The kept lines as paragraphs, in file order. A line is kept when it contains {@code " . "} (splitting the raw line
   * gives at least 2 pieces); the paragraph is the stripped, lower-cased line split on {@code " . "} keeping empty
   * pieces, each piece split on whitespace.
   */
  public static List<List<List<String>>> fromLines(List<String> lines) {
    return lines.parallelStream().filter(Paragraphs::isKept).map(ReferenceParagraphs::paragraph).toList();
  }

  /** One kept line as sentences of tokens. */
  static List<List<String>> paragraph(String line) {
    List<List<String>> sentences = new ArrayList<>();
    for (String sentence : Paragraphs.sentences(line.toLowerCase(Locale.ROOT))) {
      sentences.add(Paragraphs.words(sentence, 0, sentence.length()));
    }
    return sentences;
  }
}
