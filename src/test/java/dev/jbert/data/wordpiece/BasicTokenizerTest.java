package dev.jbert.data.wordpiece;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** BERT's basic tokenization, hand-written cases (HuggingFaceOracleTest checks every code point against the Rust). */
class BasicTokenizerTest {
  private final BasicTokenizer uncased = new BasicTokenizer(true);
  private final BasicTokenizer cased = new BasicTokenizer(false);

  @Test
  void splitsOnWhiteSpaceAndIsolatesEachPunctuationCharacter() {
    assertThat(uncased.words("Hello, world! It's 3.14..."))
        .containsExactly("hello", ",", "world", "!", "it", "'", "s", "3", ".", "14", ".", ".", ".");
    assertThat(uncased.words("e-mail: a_b@c.com #tag")).containsExactly(
        "e", "-", "mail", ":", "a", "_", "b", "@", "c", ".", "com", "#", "tag");
  }

  @Test
  void uncasedLowerCasesAndStripsAccentsCasedKeepsBoth() {
    assertThat(uncased.words("Café naïve RÉSUMÉ Ångström")).containsExactly("cafe", "naive", "resume", "angstrom");
    assertThat(cased.words("Café naïve RÉSUMÉ Ångström")).containsExactly("Café", "naïve", "RÉSUMÉ", "Ångström");
    assertThat(cased.lowercase()).isFalse();
    assertThat(cased.stripAccents()).isFalse();
    assertThat(uncased.stripAccents()).isTrue();
  }

  @Test
  void chineseIdeographsAreWordsOfTheirOwnKanaAndHangulAreNot() {
    assertThat(uncased.words("我爱北京abc")).containsExactly("我", "爱", "北", "京", "abc");
    assertThat(uncased.words("日本語のテキスト")).containsExactly("日", "本", "語", "のテキスト");
    assertThat(cased.words("한국어 문장")).containsExactly("한국어", "문장");
    // uncased: NFD takes Hangul syllables apart into their jamo (as uncased BERT does)
    assertThat(uncased.words("한국어")).containsExactly("\u1112\u1161\u11AB\u1100\u116E\u11A8\u110B\u1165");
    // Hugging Face's Extension E starts at U+2B920 (Google's Python: U+2B820)
    assertThat(uncased.words("a\uD86E\uDC20b")).containsExactly("a\uD86E\uDC20b");
    assertThat(uncased.words("a\uD86E\uDD20b")).containsExactly("a", "\uD86E\uDD20", "b");
    assertThat(uncased.words("a\uD840\uDC00b")).containsExactly("a", "\uD840\uDC00", "b"); // U+20000, Extension B
  }

  @Test
  void cleanTextDropsControlCharactersAndTurnsWhiteSpaceIntoSpaces() {
    // NUL, zero-width space (Cf), soft hyphen (Cf), vertical tab (Cc), U+FFFD: dropped, joining their neighbours;
    // tab, no-break space, ideographic space: white space
    assertThat(uncased.words("a\u0000b\u200Bc\u00ADd\tx\u00A0y\u3000z\u000Bw\uFFFDv\u0085u"))
        .containsExactly("abcd", "x", "y", "zwvu");
    assertThat(uncased.words("")).isEmpty();
    assertThat(uncased.words(" \t\r\n\u2003 ")).isEmpty();
    assertThat(uncased.words("line one\r\nline two")).containsExactly("line", "one", "line", "two");
  }

  @Test
  void unicodePunctuationSplitsSymbolsDoNot() {
    assertThat(uncased.words("«quoted» ¿Qué? a–b “x”"))
        .containsExactly("«", "quoted", "»", "¿", "que", "?", "a", "–", "b", "“", "x", "”");
    // $ + = are ASCII punctuation; € (Sc) and ∑ (Sm) are symbols, so part of words
    assertThat(uncased.words("$100+€5=∑x")).containsExactly("$", "100", "+", "€5", "=", "∑x");
  }

  @Test
  void lowerCasesEachCodePointAloneAsRustDoes() {
    assertThat(uncased.words("ΣΑΣ ΟΔΥΣΣΕΥΣ")).containsExactly("σασ", "οδυσσευσ"); // no final sigma
    assertThat(new BasicTokenizer(true, false).words("İzmir")).containsExactly("i\u0307zmir"); // full mapping
    assertThat(uncased.words("İzmir")).containsExactly("izmir"); // NFD strips the dot before lower-casing
    assertThat(uncased.words("Straße ﬁne")).containsExactly("straße", "ﬁne"); // NFD keeps ß and the ligature
    assertThat(uncased.words("\u2C2F")).containsExactly("\u2C5F"); // Unicode 14, unknown to Java 17
  }

  @Test
  void followsHuggingFacesUnicode9TablesWhereJava17Differs() {
    assertThat(uncased.words("a\u166Db")).containsExactly("a", "\u166D", "b"); // Po in Unicode 9, So since
    assertThat(uncased.words("a\u2E52b")).containsExactly("a\u2E52b"); // punctuation new in Unicode 13
    assertThat(uncased.words("a\u08D3b")).containsExactly("a\u08D3b"); // Mn new in Unicode 11: not stripped
    assertThat(uncased.words("a\u0301b")).containsExactly("ab"); // an old Mn: stripped
    assertThat(uncased.words("a\u08E2b")).containsExactly("a\u08E2b"); // Cf new in Unicode 9.0+: kept
  }

  @Test
  void emojiAreWordCharactersJoinersAndVariationSelectorsGo() {
    assertThat(uncased.words("done🎉yes")).containsExactly("done🎉yes");
    assertThat(uncased.words("👨\u200D👩\u200D👧")).containsExactly("👨👩👧"); // ZWJ is Cf
    assertThat(uncased.words("❤\uFE0F")).containsExactly("❤"); // VS16 is Mn: stripped with the accents
    assertThat(cased.words("❤\uFE0F")).containsExactly("❤\uFE0F");
  }

  @Test
  void normalizedGivesEachCodePointsOutput() {
    assertThat(uncased.normalized('A')).isEqualTo("a");
    assertThat(uncased.normalized('\t')).isEqualTo(" ");
    assertThat(uncased.normalized(0x7F)).isEmpty();
    assertThat(uncased.normalized(0x4E2D)).isEqualTo(" 中 ");
    assertThat(uncased.normalized(0xF900)).isEqualTo(" \u8C48 "); // a compatibility ideograph: NFD, still spaced
    assertThat(cased.normalized(0xF900)).isEqualTo(" \uF900 ");
    assertThat(uncased.normalized(0x11938)).isEqualTo("\uD806\uDD38"); // Hugging Face's NFD predates it
  }
}
