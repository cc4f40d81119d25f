package dev.jbert.data.wordpiece;

import java.util.Arrays;
import java.util.Locale;

/**
 * The character classes of BERT's basic tokenization as Hugging Face's tokenizers (the Rust library behind
 * BertWordPiece, version 0.21) defines them: {@code normalizers/bert.rs} and {@code pre_tokenizers/bert.rs}.
 *
 * <p>Rust's tokenizers take "control" (Cc, Cf, Co), "punctuation" (P*) and "non-spacing mark" (Mn) from the
 * {@code unicode_categories} 0.1.1 crate, whose tables are Unicode 9.0; Java 17's {@link Character#getType} is Unicode
 * 13.0. The tables below are the code points where the two differ (found by comparing the crate's tables with Java 17
 * code point by code point), so that every code point gets Hugging Face's class; {@code HuggingFaceOracleTest} checks
 * all 1,114,112 of them against the Rust library.
 */
final class BertChars {
  /** Cc, Cf or Co in Java 17 but not in Unicode 9.0 (inclusive ranges). */
  private static final int[] OTHER_SINCE_9 = {0x8E2, 0x8E2, 0x110CD, 0x110CD, 0x13430, 0x13438};

  /** P* in Java 17 but not in Unicode 9.0. */
  private static final int[] PUNCTUATION_SINCE_9 = {
    0x9FD, 0x9FD, 0xA76, 0xA76, 0xC77, 0xC77, 0xC84, 0xC84, 0x2E43, 0x2E4F, 0x2E52, 0x2E52,
    0x10EAD, 0x10EAD, 0x10F55, 0x10F59, 0x1144B, 0x1144F, 0x1145A, 0x1145B, 0x1145D, 0x1145D,
    0x11660, 0x1166C, 0x1183B, 0x1183B, 0x11944, 0x11946, 0x119E2, 0x119E2, 0x11A3F, 0x11A46,
    0x11A9A, 0x11A9C, 0x11A9E, 0x11AA2, 0x11C41, 0x11C45, 0x11C70, 0x11C71, 0x11EF7, 0x11EF8,
    0x11FFF, 0x11FFF, 0x16E97, 0x16E9A, 0x16FE2, 0x16FE2, 0x1E95E, 0x1E95F
  };

  /** P* in Unicode 9.0 but not in Java 17: U+166D (now So) and U+111C9 (now Mn). */
  private static final int[] PUNCTUATION_UNTIL_9 = {0x166D, 0x166D, 0x111C9, 0x111C9};

  /** Mn in Java 17 but not in Unicode 9.0. */
  private static final int[] NONSPACING_SINCE_9 = {
    0x7FD, 0x7FD, 0x8D3, 0x8E1, 0x9FE, 0x9FE, 0xAFA, 0xAFF, 0xB55, 0xB55, 0xC04, 0xC04, 0xD00, 0xD00,
    0xD3B, 0xD3C, 0xD81, 0xD81, 0xEBA, 0xEBA, 0x1885, 0x1886, 0x1ABF, 0x1AC0, 0x1DF6, 0x1DF9,
    0x1DFB, 0x1DFB, 0xA82C, 0xA82C, 0xA8C5, 0xA8C5, 0xA8FF, 0xA8FF, 0xA9BD, 0xA9BD, 0x10D24, 0x10D27,
    0x10EAB, 0x10EAC, 0x10F46, 0x10F50, 0x111C9, 0x111C9, 0x111CF, 0x111CF, 0x1123E, 0x1123E,
    0x1133B, 0x1133B, 0x11438, 0x1143F, 0x11442, 0x11444, 0x11446, 0x11446, 0x1145E, 0x1145E,
    0x1182F, 0x11837, 0x11839, 0x1183A, 0x1193B, 0x1193C, 0x1193E, 0x1193E, 0x11943, 0x11943,
    0x119D4, 0x119D7, 0x119DA, 0x119DB, 0x119E0, 0x119E0, 0x11A01, 0x11A0A, 0x11A33, 0x11A38,
    0x11A3B, 0x11A3E, 0x11A47, 0x11A47, 0x11A51, 0x11A56, 0x11A59, 0x11A5B, 0x11A8A, 0x11A96,
    0x11A98, 0x11A99, 0x11C30, 0x11C36, 0x11C38, 0x11C3D, 0x11C3F, 0x11C3F, 0x11C92, 0x11CA7,
    0x11CAA, 0x11CB0, 0x11CB2, 0x11CB3, 0x11CB5, 0x11CB6, 0x11D31, 0x11D36, 0x11D3A, 0x11D3A,
    0x11D3C, 0x11D3D, 0x11D3F, 0x11D45, 0x11D47, 0x11D47, 0x11D90, 0x11D91, 0x11D95, 0x11D95,
    0x11D97, 0x11D97, 0x11EF3, 0x11EF4, 0x16F4F, 0x16F4F, 0x16FE4, 0x16FE4, 0x1E000, 0x1E006,
    0x1E008, 0x1E018, 0x1E01B, 0x1E021, 0x1E023, 0x1E024, 0x1E026, 0x1E02A, 0x1E130, 0x1E136,
    0x1E2EC, 0x1E2EF, 0x1E944, 0x1E94A
  };

  /**
   * Upper-case letters of Unicode 14 to 16, unknown to Java 17, that Rust's {@code char::to_lowercase} (Unicode 16 in
   * the library DJL ships) maps: {@code from, to, lower-case of from}, inclusive ranges mapped with a constant offset.
   */
  private static final int[] LOWERCASE_SINCE_13 = {
    0x1C89, 0x1C89, 0x1C8A, // Unicode 16: Cyrillic tje
    0x2C2F, 0x2C2F, 0x2C5F, // Unicode 14: Glagolitic caudate chrivi
    0xA7C0, 0xA7C0, 0xA7C1, // Unicode 14: Latin old Polish o
    0xA7CB, 0xA7CB, 0x0264, // Unicode 16: Latin ram's horn
    0xA7CC, 0xA7CC, 0xA7CD, // Unicode 16: Latin s with diagonal stroke
    0xA7D0, 0xA7D0, 0xA7D1, // Unicode 14: Latin closed insular g
    0xA7D6, 0xA7D6, 0xA7D7, // Unicode 14: Latin middle Scots s
    0xA7D8, 0xA7D8, 0xA7D9, // Unicode 14: Latin sigmoid s
    0xA7DA, 0xA7DA, 0xA7DB, // Unicode 16: Latin lambda
    0xA7DC, 0xA7DC, 0x019B, // Unicode 16: Latin lambda with stroke
    0x10570, 0x1057A, 0x10597, // Unicode 14: Vithkuqi
    0x1057C, 0x1058A, 0x105A3,
    0x1058C, 0x10592, 0x105B3,
    0x10594, 0x10595, 0x105BB,
    0x10D50, 0x10D65, 0x10D70 // Unicode 16: Garay
  };

  /**
   * Code points that Java 17's NFD decomposes and Hugging Face's (the {@code unicode-normalization-alignments} crate,
   * Unicode 12) does not: U+11938 DIVES AKURU VOWEL SIGN O, new in Unicode 13.
   */
  private static final int NFD_SINCE_12 = 0x11938;

  private BertChars() {}

  /** Whether Hugging Face's NFD leaves {@code cp} as it is although Java 17's decomposes it. */
  static boolean keptByNfd(int cp) {
    return cp == NFD_SINCE_12;
  }

  /**
   * The lower case of {@code cp} as Rust's {@code char::to_lowercase} gives it: Java's full mapping, plus the
   * letters added in Unicode 14 to 16.
   */
  static String lowercase(int cp) {
    if (cp < 0x80) {
      return String.valueOf((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    }
    if (Character.getType(cp) == Character.UNASSIGNED) {
      for (int i = 0; i < LOWERCASE_SINCE_13.length; i += 3) {
        if (cp >= LOWERCASE_SINCE_13[i] && cp <= LOWERCASE_SINCE_13[i + 1]) {
          return Character.toString(LOWERCASE_SINCE_13[i + 2] + cp - LOWERCASE_SINCE_13[i]);
        }
      }
      return Character.toString(cp);
    }
    // a lone code point: no final-sigma context, as Rust's per-char mapping (Σ gives σ)
    return Character.toString(cp).toLowerCase(Locale.ROOT);
  }

  /**
   * Rust's {@code char::is_whitespace}: the Unicode White_Space property (stable since Unicode 6.3). Java's
   * {@link Character#isWhitespace} differs (it leaves out the no-break spaces and counts U+001C..U+001F).
   */
  static boolean isWhitespace(int cp) {
    if (cp < 0x80) {
      return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    }
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
  }

  /** BertNormalizer's {@code is_control}: Cc, Cf or Co (Unicode 9.0), except tab, line feed and carriage return. */
  static boolean isControl(int cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      return false;
    }
    int type = Character.getType(cp);
    boolean other = type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE;
    return other && !in(OTHER_SINCE_9, cp);
  }

  /** BertPreTokenizer's {@code is_bert_punc}: ASCII punctuation (33-47, 58-64, 91-96, 123-126) or P* (Unicode 9.0). */
  static boolean isPunctuation(int cp) {
    if (cp < 0x80) {
      return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
    }
    switch (Character.getType(cp)) {
      case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
          Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION:
        return !in(PUNCTUATION_SINCE_9, cp);
      default:
        return in(PUNCTUATION_UNTIL_9, cp);
    }
  }

  /** Mn (Unicode 9.0): what strip_accents removes after NFD. */
  static boolean isNonspacingMark(int cp) {
    return Character.getType(cp) == Character.NON_SPACING_MARK && !in(NONSPACING_SINCE_9, cp);
  }

  /**
   * BertNormalizer's {@code is_chinese_char}: the CJK Unified Ideographs blocks, each ideograph becoming a word of its
   * own. Hugging Face's ranges, which start Extension E at U+2B920 where Google's {@code _is_chinese_char} says
   * U+2B820; the ids must be Hugging Face's.
   */
  static boolean isChinese(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF)
        || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F)
        || (cp >= 0x2B740 && cp <= 0x2B81F)
        || (cp >= 0x2B920 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }

  /** Whether {@code cp} lies in one of the sorted inclusive {@code [from, to]} pairs of {@code ranges}. */
  private static boolean in(int[] ranges, int cp) {
    if (cp < ranges[0] || cp > ranges[ranges.length - 1]) {
      return false;
    }
    int i = Arrays.binarySearch(ranges, cp);
    // found: cp is a bound; not found: inside a range when the insertion point is odd (after a range's start)
    return i >= 0 || ((-i - 1) & 1) == 1;
  }
}
