package dev.jbert.data.wordpiece;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WordPieceTokenizerTest {
  /** The vocabulary of Google BERT's tokenization_test.py, behind the five special tokens. */
  private static final WordPieceTokenizer GOOGLE = tokenizer(true,
      "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",");

  private static WordPieceTokenizer tokenizer(boolean lowercase, String... tokens) {
    List<String> all = new ArrayList<>(WordPieceVocab.SPECIALS);
    all.addAll(List.of(tokens));
    return new WordPieceTokenizer(WordPieceVocab.of(all), lowercase);
  }

  @Test
  void splitsWordsGreedilyLongestFirstAsGoogleBertsTest() {
    assertThat(GOOGLE.tokenize("unwanted running")).containsExactly("un", "##want", "##ed", "runn", "##ing");
    assertThat(GOOGLE.encode("unwanted running")).containsExactly(9, 6, 7, 10, 11);
    assertThat(GOOGLE.tokenize("UNwant\u00E9d,running")).containsExactly("un", "##want", "##ed", ",", "runn", "##ing");
    assertThat(GOOGLE.tokenize("unwantedX running")).containsExactly("[UNK]", "runn", "##ing");
    assertThat(GOOGLE.tokenize("")).isEmpty();
  }

  @Test
  void neverBacktracksAWordThatGreedyCannotFinishIsUnknown() {
    WordPieceTokenizer t = tokenizer(true, "a", "ab", "##b", "##bcd", "##cd");
    assertThat(t.tokenize("abcd")).containsExactly("ab", "##cd"); // not a ##bcd: the longest first piece wins
    WordPieceTokenizer noCd = tokenizer(true, "a", "ab", "##bcd");
    assertThat(noCd.tokenize("abcd x abcd")).containsExactly("[UNK]", "[UNK]", "[UNK]"); // a ##bcd is not tried
    assertThat(noCd.tokenize("a ab")).containsExactly("a", "ab");
  }

  @Test
  void wordsOverAHundredCodePointsAreUnknown() {
    WordPieceTokenizer t = tokenizer(true, "a", "##a", "🙂", "##🙂");
    assertThat(t.encode("a".repeat(100))).hasSize(100).startsWith(5).endsWith(6);
    assertThat(t.tokenize("a".repeat(101))).containsExactly("[UNK]");
    // code points, not chars: 100 emoji are 200 chars
    assertThat(t.tokenize("🙂".repeat(100))).hasSize(100).startsWith("🙂").endsWith("##🙂");
    assertThat(t.tokenize("🙂".repeat(101) + " a")).containsExactly("[UNK]", "a");
    assertThat(t.tokenize("🙂a🙂")).containsExactly("🙂", "##a", "##🙂");
  }

  @Test
  void specialTokensInTheTextAreTheirIdsCaseSensitive() {
    WordPieceTokenizer t = tokenizer(true, "the", "sat", "[", "]", "mask", "x");
    assertThat(t.encode("The [MASK] sat")).containsExactly(5, 4, 6);
    assertThat(t.tokenize("x[MASK]x[CLS][SEP]")).containsExactly("x", "[MASK]", "x", "[CLS]", "[SEP]");
    assertThat(t.tokenize("the [mask] [MASK")).containsExactly("the", "[", "mask", "]", "[", "mask");
    assertThat(t.tokenize("[PAD][UNK]")).containsExactly("[PAD]", "[UNK]");
  }

  @Test
  void casedVocabularyKeepsCaseAndAccents() {
    WordPieceTokenizer t = tokenizer(false, "Café", "café", "Paris");
    assertThat(t.tokenize("Café café Paris paris")).containsExactly("Café", "café", "Paris", "[UNK]");
    assertThat(t.lowercase()).isFalse();
  }

  @Test
  void specialsAreFoundByNameWhereverTheyAre() {
    List<String> bert = new ArrayList<>(List.of("[PAD]"));
    for (int i = 0; i < 99; i++) {
      bert.add("[unused" + i + "]");
    }
    bert.addAll(List.of("[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat"));
    WordPieceTokenizer t = new WordPieceTokenizer(WordPieceVocab.of(bert), true);
    assertThat(t.encode("The cat [MASK] dog")).containsExactly(104, 105, 103, 100);
  }

  @Test
  void joinsPiecesIntoWords() {
    assertThat(WordPieceTokenizer.words(List.of("play", "##ing", "now", "un", "##want", "##ed")))
        .containsExactly("playing", "now", "unwanted");
    assertThat(WordPieceTokenizer.words(List.of("##ing", "x"))).containsExactly("##ing", "x");
    assertThat(WordPieceTokenizer.words(List.of())).isEmpty();
    assertThat(GOOGLE.decode(GOOGLE.encode("unwanted running, wa"))).isEqualTo("unwanted running , wa");
  }
}
