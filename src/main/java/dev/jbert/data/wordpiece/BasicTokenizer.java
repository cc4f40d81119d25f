package dev.jbert.data.wordpiece;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * BERT's basic tokenization, exactly as Hugging Face's {@code BertNormalizer} followed by {@code BertPreTokenizer} do
 * it (tokenizers 0.21):
 *
 * <ol>
 *   <li>clean_text: drop U+0000, U+FFFD and control characters (Cc, Cf, Co; tab, LF and CR are white space), turn
 *       white space into a space;
 *   <li>handle_chinese_chars: a space on each side of every CJK ideograph;
 *   <li>strip_accents (when lower-casing, unless told otherwise): NFD, then drop the non-spacing marks (Mn);
 *   <li>lowercase: each code point's full lower-case mapping (U+0130 becomes "i" + U+0307);
 *   <li>split on white space (dropped) and on punctuation (each punctuation character a word of its own).
 * </ol>
 *
 * <p>Every step maps one code point to a string regardless of its neighbours, so the text is handled in one pass,
 * each code point's output computed once and cached; ASCII takes a table. The one exception is NFD's canonical
 * reordering of adjacent combining marks, skipped here: it matters only when two marks that strip_accents keeps (not
 * Mn in Unicode 9, e.g. U+1D165) stand next to each other out of canonical order. Instances are thread-safe.
 */
public final class BasicTokenizer {
  private static final byte DROP = 0;
  private static final byte SPACE = 1;
  private static final byte PUNCT = 2;
  private static final byte WORD = 3;

  private final boolean lowercase;
  private final boolean stripAccents;
  /** The class of each ASCII character after normalization, and its normalized (lower-cased) form. */
  private final byte[] asciiClass = new byte[128];
  private final char[] asciiChar = new char[128];
  /** The normalized output of each BMP code point, filled on first use (racy but safe: Strings are immutable). */
  private final String[] bmp = new String[0x10000];
  /** The same for the code points above the BMP (emoji, rare scripts). */
  private final Map<Integer, String> supplementary = new ConcurrentHashMap<>();

  /** BERT's uncased ({@code lowercase} true: also strips accents) or cased tokenization. */
  public BasicTokenizer(boolean lowercase) {
    this(lowercase, lowercase);
  }

  /** As Hugging Face's {@code BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents, lowercase)}. */
  public BasicTokenizer(boolean lowercase, boolean stripAccents) {
    this.lowercase = lowercase;
    this.stripAccents = stripAccents;
    for (int c = 0; c < 128; c++) {
      String out = normalized(c);
      if (out.isEmpty()) {
        asciiClass[c] = DROP;
      } else {
        char n = out.charAt(0); // ASCII stays one ASCII character
        asciiChar[c] = n;
        asciiClass[c] = BertChars.isWhitespace(n) ? SPACE : BertChars.isPunctuation(n) ? PUNCT : WORD;
      }
    }
  }

  public boolean lowercase() {
    return lowercase;
  }

  public boolean stripAccents() {
    return stripAccents;
  }

  /** The words of {@code text}. */
  public List<String> words(CharSequence text) {
    List<String> words = new ArrayList<>();
    forEachWord(text, 0, text.length(), (chars, from, to, codePoints) -> words.add(new String(chars, from, to - from)));
    return words;
  }

  /** Receives the words of a text: {@code chars[from, to)}, valid during the call only. */
  @FunctionalInterface
  interface WordSink {
    void word(char[] chars, int from, int to, int codePoints);
  }

  /** Calls {@code sink} with each word of {@code text[start, end)}, in order. */
  void forEachWord(CharSequence text, int start, int end, WordSink sink) {
    char[] chars = new char[end - start];
    if (text instanceof String s) {
      s.getChars(start, end, chars, 0); // one bulk copy: the loop then reads an array
    } else {
      for (int i = start; i < end; i++) {
        chars[i - start] = text.charAt(i);
      }
    }
    forEachWord(chars, 0, chars.length, sink);
  }

  /** Calls {@code sink} with each word of {@code text[start, end)}, in order. */
  void forEachWord(char[] text, int start, int end, WordSink sink) {
    char[] word = new char[64];
    int len = 0;
    int codePoints = 0;
    int i = start;
    while (i < end) {
      char c = text[i];
      if (c < 0x80) {
        i++;
        switch (asciiClass[c]) {
          case WORD -> {
            if (len == word.length) {
              word = Arrays.copyOf(word, len * 2);
            }
            word[len++] = asciiChar[c];
            codePoints++;
          }
          case SPACE -> {
            if (len > 0) {
              sink.word(word, 0, len, codePoints);
              len = 0;
              codePoints = 0;
            }
          }
          case PUNCT -> {
            if (len > 0) {
              sink.word(word, 0, len, codePoints);
              codePoints = 0;
            }
            word[0] = asciiChar[c];
            sink.word(word, 0, 1, 1);
            len = 0;
          }
          default -> { } // dropped control character
        }
        continue;
      }
      int cp = Character.codePointAt(text, i, end);
      i += Character.charCount(cp);
      String out = cp < 0x10000 ? bmpNormalized(cp) : supplementary.computeIfAbsent(cp, this::normalized);
      for (int k = 0; k < out.length(); ) {
        int q = out.codePointAt(k);
        int n = Character.charCount(q);
        if (BertChars.isWhitespace(q)) {
          if (len > 0) {
            sink.word(word, 0, len, codePoints);
            len = 0;
            codePoints = 0;
          }
        } else if (BertChars.isPunctuation(q)) {
          if (len > 0) {
            sink.word(word, 0, len, codePoints);
            codePoints = 0;
          }
          out.getChars(k, k + n, word, 0);
          sink.word(word, 0, n, 1);
          len = 0;
        } else {
          if (len + n > word.length) {
            word = Arrays.copyOf(word, Math.max(len + n, len * 2));
          }
          out.getChars(k, k + n, word, len);
          len += n;
          codePoints++;
        }
        k += n;
      }
    }
    if (len > 0) {
      sink.word(word, 0, len, codePoints);
    }
  }

  private String bmpNormalized(int cp) {
    String out = bmp[cp];
    if (out == null) {
      out = normalized(cp);
      bmp[cp] = out;
    }
    return out;
  }

  /** What BertNormalizer makes of the code point {@code cp} (the pre-tokenizer then splits it). */
  String normalized(int cp) {
    // clean_text
    if (cp == 0 || cp == 0xFFFD || BertChars.isControl(cp)) {
      return "";
    }
    if (BertChars.isWhitespace(cp)) {
      return " ";
    }
    String s = new String(Character.toChars(cp));
    boolean chinese = BertChars.isChinese(cp);
    // strip_accents
    if (stripAccents) {
      String nfd = BertChars.keptByNfd(cp) ? s : Normalizer.normalize(s, Normalizer.Form.NFD);
      StringBuilder kept = new StringBuilder(nfd.length());
      nfd.codePoints().filter(q -> !BertChars.isNonspacingMark(q)).forEach(kept::appendCodePoint);
      s = kept.toString();
    }
    // lowercase: each code point on its own, as Rust's char::to_lowercase (no final-sigma context)
    if (lowercase) {
      StringBuilder lower = new StringBuilder(s.length());
      s.codePoints().forEach(q -> lower.append(BertChars.lowercase(q)));
      s = lower.toString();
    }
    // handle_chinese_chars ran before these steps, on the original code point
    return chinese ? " " + s + " " : s;
  }
}
