package dev.jbert.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Spec section 2 without the shuffle: WikiText lines to paragraphs of sentences of tokens, as d2l's {@code _read_wiki}
 * and {@code tokenize(..., 'word')} do it. Whitespace means Python's {@code str.isspace()}, so {@code strip()} and
 * {@code split()} agree with the reference on every character.
 */
public final class Paragraphs {
  /** d2l's sentence separator, matched literally. */
  public static final String SENTENCE_SEPARATOR = " . ";

  private Paragraphs() {}

  /** Whether d2l keeps this line: {@code len(line.split(' . ')) >= 2}. */
  public static boolean isKept(String line) {
    return line.contains(SENTENCE_SEPARATOR);
  }

  /**
   * One kept line as its sentences' text: the stripped line split on {@code " . "}, empty pieces kept, the case as
   * written (a WordPiece tokenizer decides it; d2l's words lower-case the line first).
   */
  public static List<String> sentences(String line) {
    String text = strip(line);
    List<String> sentences = new ArrayList<>();
    int from = 0;
    while (true) {
      int at = text.indexOf(SENTENCE_SEPARATOR, from);
      if (at < 0) {
        sentences.add(text.substring(from));
        return sentences;
      }
      sentences.add(text.substring(from, at));
      from = at + SENTENCE_SEPARATOR.length();
    }
  }

  /** User text as tokens: lower-cased ({@link Locale#ROOT}), split on whitespace. */
  public static List<String> tokenize(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    return words(lower, 0, lower.length());
  }

  /** Python's {@code text[from:to].split()}: the whitespace-separated words, no empty strings. */
  static List<String> words(String text, int from, int to) {
    String[] out = new String[Math.max(4, (to - from) / 4)];
    int n = 0;
    int i = from;
    while (i < to) {
      while (i < to && isSpace(text.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < to && !isSpace(text.charAt(i))) {
        i++;
      }
      if (i > start) {
        if (n == out.length) {
          out = Arrays.copyOf(out, n * 2);
        }
        out[n++] = text.substring(start, i);
      }
    }
    return Arrays.asList(Arrays.copyOf(out, n));
  }

  /** Python's {@code str.strip()}. */
  static String strip(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && isSpace(s.charAt(from))) {
      from++;
    }
    while (to > from && isSpace(s.charAt(to - 1))) {
      to--;
    }
    return s.substring(from, to);
  }

  /** Python's {@code str.isspace()} for one char: Java's whitespace plus U+0085, U+00A0, U+2007 and U+202F. */
  static boolean isSpace(char c) {
    if (c <= ' ') {
      return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\u001c' && c <= '\u001f');
    }
    if (c < '\u0085') {
      return false;
    }
    return c == '\u0085' || c == '\u00a0' || c == '\u2007' || c == '\u202f' || Character.isWhitespace(c);
  }
}
