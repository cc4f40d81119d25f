package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.data.wordpiece.TokenizerFiles;
import dev.jbert.data.wordpiece.WordPieceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pretraining examples built with a WordPiece tokenizer: its special ids, its random replacements, whole words. */
class WordPieceExamplesTest {
  private static final List<String> WORDS = List.of("play", "##ing", "##ed", "##er", "cat", "##s", "the", "a", "sat",
      "on", "mat", "dog", "ran", "fast", "to", ".");

  @TempDir static Path dir;

  /**
   * A vocab.txt laid out as Google's and Hugging Face's bert-base-uncased: [PAD]=0, then [unused0..98], then
   * [UNK]=100 [CLS]=101 [SEP]=102 [MASK]=103, then the pieces; read as {@code --vocab} reads it.
   */
  static WordPieceTokenizer huggingFaceStyle() throws IOException {
    List<String> tokens = new ArrayList<>(List.of("[PAD]"));
    for (int i = 0; i < 99; i++) {
      tokens.add("[unused" + i + "]");
    }
    tokens.addAll(List.of("[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    tokens.addAll(WORDS);
    Path vocabTxt = Files.write(dir.resolve("vocab.txt"), tokens);
    return TokenizerFiles.load(vocabTxt);
  }

  /** 30 documents of 4 sentences, words that split into pieces ("playing" = play ##ing). */
  static List<List<String>> documents() {
    String[] sentences = {"the cat sat on the mat .", "the dogs ran to a player .", "a cat played fast .",
        "the player sat playing on the mat .", "cats ran to the dog ."};
    List<List<String>> docs = new ArrayList<>();
    for (int d = 0; d < 30; d++) {
      List<String> doc = new ArrayList<>();
      for (int s = 0; s < 4; s++) {
        doc.add(sentences[(d + s) % sentences.length]);
      }
      docs.add(doc);
    }
    return docs;
  }

  @Test
  void aHuggingFaceStyleVocabularyKeepsItsSpecialIdsInEveryExample() throws IOException {
    WordPieceTokenizer hf = huggingFaceStyle();
    assertThat(hf.specials()).isEqualTo(new SpecialIds(0, 100, 101, 102, 103));
    PretrainingDataset d = PretrainingDataset.buildDocuments(documents(), hf, new DataConfig(32, 1, 7), "sha");
    assertThat(d.examples()).hasSize(30 * 3);
    for (int i = 0; i < d.examples().size(); i++) {
      PretrainingExample e = d.examples().get(i);
      int[] original = d.originalTokenIds(i);
      int len = e.validLen();
      assertThat(original[0]).isEqualTo(101);
      assertThat(original[len - 1]).isEqualTo(102);
      int firstSep = 1;
      while (original[firstSep] != 102) {
        firstSep++;
      }
      assertThat(e.segments()[firstSep]).isZero();
      assertThat(e.segments()[firstSep + 1]).isEqualTo(1);
      for (int t = len; t < 32; t++) {
        assertThat(e.tokenIds()[t]).as("padding").isZero();
      }
      for (int k = 0; k < e.numPreds(); k++) {
        assertThat(original[e.predPositions()[k]]).as("never <cls>/<sep> predicted").isNotIn(101, 102);
      }
    }
    // the "unknown share" counts [UNK] (id 100), none here: every word splits into the vocabulary's pieces
    assertThat(d.stats().unknownShare()).isZero();
  }

  @Test
  void randomReplacementsOfAHuggingFaceStyleVocabularyAreNeverASpecialToken() throws IOException {
    WordPieceTokenizer hf = huggingFaceStyle();
    // every prediction a random replacement, so each draw could land on [PAD], [UNK], [CLS], [SEP] or [MASK]
    MaskConfig allRandom = new MaskConfig(1, 0, 0, 1, false);
    PretrainingDataset d = PretrainingDataset.buildDocuments(documents(), hf,
        new DataConfig(32, 1, 7, false, allRandom), "sha");
    // 5 of the 120 ids are special: a draw over all of them would hit one about 60 times in these 1000-odd draws
    assertThat(d.draws().randomized()).isGreaterThan(1000);
    for (int i = 0; i < d.examples().size(); i++) {
      PretrainingExample e = d.examples().get(i);
      for (int k = 0; k < e.numPreds(); k++) {
        assertThat(e.tokenIds()[e.predPositions()[k]]).isNotIn(0, 100, 101, 102, 103);
      }
    }
  }

  @Test
  void randomReplacementsReachEveryOrdinaryTokenUniformly() throws IOException {
    WordPieceTokenizer hf = huggingFaceStyle();
    MaskedLm masker = new MaskedLm(new MaskConfig(1, 0, 0, 1, false), hf);
    int[] counts = new int[hf.size()];
    SplittableRandom rng = new SplittableRandom(1);
    int draws = 0;
    for (int round = 0; round < 2000; round++) {
      int[] tokens = {101, 110, 111, 112, 113, 114, 102};
      int[] positions = masker.maskInPlace(tokens, tokens.length, rng, new long[3]);
      for (int p : positions) {
        counts[tokens[p]]++;
        draws++;
      }
    }
    int ordinary = hf.size() - 5; // 99 unused + 16 pieces
    for (int id = 0; id < hf.size(); id++) {
      if (hf.specials().contains(id)) {
        assertThat(counts[id]).as("special id %d", id).isZero();
      } else {
        // 10000 draws over 115 ids: about 87 each; 40 is more than 5 standard deviations below
        assertThat(counts[id]).as("id %d", id).isGreaterThan(40);
      }
    }
    assertThat(draws).isEqualTo(2000 * 5);
    assertThat(ordinary).isEqualTo(115);
  }

  @Test
  void wholeWordMaskingPredictsEveryPieceOfAChosenWord() throws IOException {
    WordPieceTokenizer hf = huggingFaceStyle();
    DataConfig wholeWords = new DataConfig(32, 1, 7, false, MaskConfig.d2l().withWholeWord(true));
    DataConfig tokens = new DataConfig(32, 1, 7, false, MaskConfig.d2l());
    assertThat(splitWords(PretrainingDataset.buildDocuments(documents(), hf, wholeWords, "sha"))).isZero();
    // token by token, some word loses one piece to a prediction and keeps the other
    assertThat(splitWords(PretrainingDataset.buildDocuments(documents(), hf, tokens, "sha"))).isPositive();
  }

  /** Predictions of a ## piece whose word's first piece was not predicted, or the other way round. */
  private static int splitWords(PretrainingDataset d) {
    int split = 0;
    for (int i = 0; i < d.examples().size(); i++) {
      PretrainingExample e = d.examples().get(i);
      int[] original = d.originalTokenIds(i);
      Set<Integer> predicted = new HashSet<>();
      for (int k = 0; k < e.numPreds(); k++) {
        predicted.add(e.predPositions()[k]);
      }
      for (int t = 1; t < e.validLen(); t++) {
        boolean continues = d.vocab().token(original[t]).startsWith("##");
        if (continues && predicted.contains(t) != predicted.contains(t - 1)) {
          split++;
        }
      }
    }
    return split;
  }

  @Test
  void wikiTextLinesKeepD2lsSentenceSplitWithWordPieces() throws IOException {
    WordPieceTokenizer hf = huggingFaceStyle();
    // the first line is a heading (no " . "), dropped as d2l drops it; sentences keep their case for the tokenizer
    PretrainingDataset d = PretrainingDataset.build(List.of(" = Cats = ", " The Cat sat . A dog ran . "), hf,
        new DataConfig(32, 1, 3));
    assertThat(d.stats().documents()).isEqualTo(1);
    assertThat(d.stats().sentences()).isEqualTo(2);
    assertThat(d.sentence(0, 0)).containsExactly(hf.encode("the cat sat"));
    assertThat(d.sentence(0, 1)).containsExactly(hf.encode("a dog ran ."));
  }
}
