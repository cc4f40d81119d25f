package dev.jbert.data.wordpiece;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import dev.jbert.TestData;
import dev.jbert.data.Corpus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jbert's WordPiece ids against Hugging Face's Rust tokenizer (the oracle, loading the tokenizer.json jbert wrote):
 * every line of WikiText-2 (train and valid), a mixed-script sample and every Unicode code point, cased and uncased.
 */
class HuggingFaceOracleTest {
  /** Hand-written: accents, CJK, Japanese, Korean, emoji, punctuation clusters, control characters, long words. */
  static final List<String> MIXED = List.of(
      "Café naïve résumé — Ångström, Øresund, façade, coöperate, ÉCOLE",
      "我爱北京天安门",
      "日本語のテキスト、カタカナとひらがな。東京タワー！",
      "한국어 문장입니다. 서울특별시",
      "Emoji: 🙂👍🏽 ❤️ 🇫🇷 family 👨‍👩‍👧 done🎉yes",
      "Wait...what?!?! (really) [sic] {x} <y> «quoted» „German“ ¿Qué? ¡Sí! ‘single’ “double” a–b—c",
      "tab\there\u0000nul\u0007bell\u200Bzwsp\u00ADsoft\u00A0nbsp\r\nnewline\u000Bvt\u0085nel\uFFFDrepl\u001Fus",
      "a".repeat(101) + " " + "b".repeat(100) + " " + "supercalifragilistic".repeat(6) + " end",
      "The [MASK] sat on [CLS][SEP] the [mask] [UNK]x [MASK]",
      "ΣΊΣΥΦΟΣ Ὀδυσσεύς ΟΔΥΣΣΕΥΣ İstanbul ılık Straße ﬁne ǅemal",
      "مرحبا بالعالم שָׁלוֹם नमस्ते ภาษาไทย",
      "x² + y₂ = ∑∫ ＡＢＣ１２３ e\u0301\u0323 o\u0308\u0304 ½ ⅷ",
      "Hello, world! It's 3.14 — isn't it? e-mail: a.b@c.com #hashtag $100 50% ~tilde `tick` ^caret_",
      "   leading and trailing spaces   ",
      "",
      "𠀀𪜀 extension B and C ideographs; 𫝀 D; \uD86E\uDC20 E start (U+2B820) \uD86E\uDD20 U+2B920",
      "Ⅻ ℃ № ™ © ® ° ± × ÷ ¼ ‰ † ‡ • … ′ ″ ‹ › ⁂ ※");

  private static List<String> wikiLines;
  private static WordPieceTokenizer uncased;
  private static WordPieceTokenizer cased;
  private static WordPieceTokenizer small;
  private static HfOracle hfUncased;
  private static HfOracle hfCased;
  private static HfOracle hfSmall;

  @BeforeAll
  static void trainAndLoad(@TempDir Path dir) throws Exception {
    Corpus corpus = Corpus.open(TestData.sharedZip());
    wikiLines = new ArrayList<>(corpus.trainLines());
    wikiLines.addAll(corpus.validLines().orElseThrow());
    uncased = train(corpus.trainLines(), VocabConfig.uncased(VocabConfig.BERT_SIZE));
    cased = train(corpus.trainLines(), VocabConfig.cased(VocabConfig.BERT_SIZE));
    small = train(corpus.trainLines(), VocabConfig.uncased(600)); // most words in several pieces
    hfUncased = writeAndLoad(uncased, dir.resolve("uncased"));
    hfCased = writeAndLoad(cased, dir.resolve("cased"));
    hfSmall = writeAndLoad(small, dir.resolve("small"));
  }

  /** A vocabulary of the WikiText lines plus the mixed sample (three times, so that its pairs can merge). */
  private static WordPieceTokenizer train(List<String> lines, VocabConfig config) {
    WordPieceTrainer trainer = new WordPieceTrainer(config);
    lines.forEach(trainer::add);
    for (int i = 0; i < 3; i++) {
      MIXED.forEach(trainer::add);
    }
    TrainedVocab vocab = trainer.train();
    assertThat(vocab.vocab().size()).isEqualTo(config.size());
    return vocab.tokenizer();
  }

  private static HfOracle writeAndLoad(WordPieceTokenizer tokenizer, Path dir) throws Exception {
    TokenizerFiles.write(dir, tokenizer);
    return HfOracle.load(dir.resolve(TokenizerFiles.TOKENIZER_JSON));
  }

  @AfterAll
  static void close() {
    for (HfOracle oracle : new HfOracle[] {hfUncased, hfCased, hfSmall}) {
      if (oracle != null) {
        oracle.close();
      }
    }
  }

  /** Every text's ids from both; returns the number of lines compared, asserting each. */
  private static long assertSameIds(WordPieceTokenizer jbert, HfOracle hf, List<String> texts) {
    List<int[]> expected = hf.ids(texts);
    List<String> differing = new ArrayList<>();
    long tokens = 0;
    for (int i = 0; i < texts.size(); i++) {
      int[] ours = jbert.encode(texts.get(i));
      tokens += ours.length;
      if (!Arrays.equals(ours, expected.get(i)) && differing.size() < 5) {
        differing.add("line " + i + " " + texts.get(i) + "\n  jbert " + Arrays.toString(ours)
            + "\n  HF    " + Arrays.toString(expected.get(i)));
      }
    }
    assertThat(differing).as("texts where jbert's ids differ from Hugging Face's").isEmpty();
    assertThat(tokens).isPositive();
    return texts.size();
  }

  @Test
  void everyWikiTextLineGetsHuggingFacesIdsUncased() {
    assertThat(assertSameIds(uncased, hfUncased, wikiLines)).isEqualTo(wikiLines.size()).isGreaterThan(40_000);
  }

  @Test
  void everyWikiTextLineGetsHuggingFacesIdsCased() {
    assertSameIds(cased, hfCased, wikiLines);
  }

  /** Each distinct word of WikiText-2 on its own (Hugging Face takes about 5 s a pass over the lines). */
  @Test
  void everyWikiTextWordGetsHuggingFacesIdsWithASmallVocabulary() {
    TreeSet<String> words = new TreeSet<>();
    wikiLines.forEach(line -> words.addAll(small.basic().words(line)));
    assertThat(words).hasSizeGreaterThan(25_000);
    List<String> distinct = new ArrayList<>(words);
    assertSameIds(small, hfSmall, distinct);
    // the small vocabulary splits most words: the test exercises the ## pieces
    long pieces = distinct.stream().flatMap(w -> small.tokenize(w).stream()).filter(t -> t.startsWith("##")).count();
    assertThat(pieces).isGreaterThan(3L * distinct.size());
  }

  @Test
  void mixedScriptSampleGetsHuggingFacesIds() {
    for (WordPieceTokenizer t : List.of(uncased, cased, small)) {
      HfOracle hf = t == uncased ? hfUncased : t == cased ? hfCased : hfSmall;
      assertSameIds(t, hf, MIXED);
      for (String line : MIXED) { // one at a time too (encode, not batchEncode)
        assertThat(t.encode(line)).as(line).containsExactly(hf.ids(line));
      }
    }
    // the sample is in the vocabulary: real pieces, not [UNK]
    assertThat(uncased.tokenize("Café naïve résumé")).containsExactly("cafe", "naive", "resume");
    assertThat(WordPieceTokenizer.words(cased.tokenize("Café naïve ÉCOLE"))).containsExactly("Café", "naïve", "ÉCOLE");
    assertThat(uncased.tokenize("我爱北京")).containsExactly("我", "爱", "北", "京");
    assertThat(uncased.tokenize("The [MASK] sat")).containsExactly("the", "[MASK]", "sat");
  }

  @Test
  void tokensAndPairTemplateMatchHuggingFace() {
    String a = "The quick brown fox jumps.";
    String b = "It lands in the Ångström lab!";
    assertThat(uncased.tokenize(a)).containsExactly(hfUncased.tokens(a));
    Encoding pair = hfUncased.encodePair(a, b);
    int[] ids = ints(pair.getIds());
    int[] ea = uncased.encode(a);
    int[] eb = uncased.encode(b);
    int cls = uncased.vocab().clsId();
    int sep = uncased.vocab().sepId();
    assertThat(cls).isEqualTo(2);
    assertThat(sep).isEqualTo(3);
    int[] expected = new int[ea.length + eb.length + 3];
    expected[0] = cls;
    System.arraycopy(ea, 0, expected, 1, ea.length);
    expected[ea.length + 1] = sep;
    System.arraycopy(eb, 0, expected, ea.length + 2, eb.length);
    expected[expected.length - 1] = sep;
    assertThat(ids).containsExactly(expected);
    int[] types = ints(pair.getTypeIds());
    for (int i = 0; i < types.length; i++) {
      assertThat(types[i]).as("type id %d", i).isEqualTo(i <= ea.length + 1 ? 0 : 1);
    }
    Encoding single = hfUncased.encodeWithSpecials(a);
    assertThat(single.getTokens()[0]).isEqualTo("[CLS]");
    assertThat(single.getTokens()[single.getTokens().length - 1]).isEqualTo("[SEP]");
    assertThat(single.getIds()).hasSize(ea.length + 2);
  }

  @Test
  void decodeJoinsPiecesAsHuggingFacesDecoder() {
    // without punctuation, HF's WordPiece decoder (cleanup only touches punctuation) and jbert's join agree
    for (String text : List.of("unbelievably photosynthesis overwhelmingly", "the quick brown fox")) {
      int[] ids = small.encode(text);
      assertThat(ids.length).isGreaterThan(text.split(" ").length); // several pieces per word
      assertThat(small.decode(ids)).isEqualTo(hfSmall.decode(ids)).isEqualTo(text);
    }
  }

  /**
   * Each code point of planes 0, 1 and 14, the bounds of the CJK ranges and a sample of the other planes (CJK
   * ideographs, unassigned, private use), alone between two x's: "x?x". The vocabulary has every character that
   * jbert's normalization makes of them, as a piece and as a ## piece, so the ids spell out the normalized text: any
   * difference in cleaning, CJK spacing, accent stripping, lower-casing or splitting shows.
   */
  @Test
  void everyCodePointIsNormalizedAndSplitAsHuggingFaceDoes(@TempDir Path dir) throws Exception {
    int[] tested = IntStream.rangeClosed(0, Character.MAX_CODE_POINT).filter(HuggingFaceOracleTest::tested).toArray();
    assertThat(tested.length).isGreaterThan(125_000);
    for (boolean lowercase : new boolean[] {true, false}) {
      BasicTokenizer basic = new BasicTokenizer(lowercase);
      TreeSet<Integer> outputs = new TreeSet<>();
      outputs.add((int) 'x');
      for (int cp : tested) {
        basic.normalized(cp).codePoints().forEach(outputs::add);
      }
      List<String> tokens = new ArrayList<>(WordPieceVocab.SPECIALS);
      for (int q : outputs) {
        if (q != ' ') {
          tokens.add(Character.toString(q));
          tokens.add("##" + Character.toString(q));
        }
      }
      WordPieceTokenizer jbert = new WordPieceTokenizer(WordPieceVocab.of(tokens), basic);
      Path folder = dir.resolve(lowercase ? "uncased" : "cased");
      TokenizerFiles.write(folder, jbert);
      List<String> lines = new ArrayList<>();
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < tested.length; i++) {
        line.append('x').appendCodePoint(tested[i]).append("x ");
        if (i % 1000 == 999 || i == tested.length - 1) {
          lines.add(line.toString());
          line.setLength(0);
        }
      }
      try (HfOracle hf = HfOracle.load(folder.resolve(TokenizerFiles.TOKENIZER_JSON))) {
        List<int[]> expected = hf.ids(lines);
        List<String> differing = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
          if (!Arrays.equals(jbert.encode(lines.get(i)), expected.get(i))) {
            for (int k = i * 1000; k < Math.min(tested.length, i * 1000 + 1000) && differing.size() < 40; k++) {
              String text = "x" + Character.toString(tested[k]) + "x";
              if (!Arrays.equals(jbert.encode(text), hf.ids(text))) {
                differing.add(String.format(Locale.ROOT, "U+%04X (type %d): jbert %s HF %s", tested[k],
                    Character.getType(tested[k]), jbert.tokenize(text), Arrays.toString(hf.tokens(text))));
              }
            }
          }
        }
        assertThat(differing).as("code points that jbert handles unlike Hugging Face, %s",
            lowercase ? "uncased" : "cased").isEmpty();
      }
    }
  }

  /**
   * Planes 0, 1 and 14 whole (all scripts, symbols, emoji, tags and variation selectors); of the others (CJK
   * ideographs in 2 and 3, nothing assigned in 4-13, private use in 15-16) each 101st code point, the bounds of
   * every CJK range and the planes' last two. Surrogates are no code points of text.
   */
  private static boolean tested(int cp) {
    if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
      return false;
    }
    int plane = cp >> 16;
    int inPlane = cp & 0xFFFF;
    return plane <= 1 || plane == 14 || inPlane % 101 == 0 || inPlane >= 0xFFFE
        || BertChars.isChinese(cp) != BertChars.isChinese(cp - 1) || BertChars.isChinese(cp) != BertChars.isChinese(cp + 1);
  }

  private static int[] ints(long[] ids) {
    return Arrays.stream(ids).mapToInt(Math::toIntExact).toArray();
  }
}
