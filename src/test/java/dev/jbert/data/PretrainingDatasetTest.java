package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class PretrainingDatasetTest {
  /** Two paragraphs, every sentence 2 tokens: 3 pairs of length 2 + 2 + 3 = 7 whatever the draws. */
  private static final List<String> EVEN = List.of(" = Title = ", "", "a b . c d . e f", "g h . i j", " no pair here ");

  @Test
  void tokensAndSegmentsFollowClsASepBSep() {
    int[] a = {10, 11};
    int[] b = {12, 13, 14};
    assertThat(PretrainingDataset.tokens(a, b, 10)).containsExactly(3, 10, 11, 4, 12, 13, 14, 4, 1, 1);
    assertThat(PretrainingDataset.segments(a, b, 10)).containsExactly(0, 0, 0, 0, 1, 1, 1, 1, 0, 0);
  }

  @Test
  void keepsPairsThatFitMaxLenAndDropsLongerOnesAfterTheDraw() {
    PretrainingDataset fits = PretrainingDataset.build(EVEN, new DataConfig(7, 1, 3));
    assertThat(fits.stats().documents()).isEqualTo(2);
    assertThat(fits.stats().sentences()).isEqualTo(5);
    assertThat(fits.draws().pairsDrawn()).isEqualTo(3);
    assertThat(fits.examples()).hasSize(3);
    assertThat(fits.stats().meanValidLen()).isEqualTo(7.0);
    assertThat(fits.stats().meanMlmPreds()).isEqualTo(1.0); // round(7 * 0.15) = 1

    PretrainingDataset tooShort = PretrainingDataset.build(EVEN, new DataConfig(6, 1, 3));
    assertThat(tooShort.draws().pairsDrawn()).isEqualTo(3);
    assertThat(tooShort.examples()).isEmpty();
  }

  @Test
  void examplesArePaddedToMaxLenAndMaxPreds() {
    PretrainingDataset d = PretrainingDataset.build(EVEN, new DataConfig(12, 1, 5));
    assertThat(d.vocab().size()).isEqualTo(5 + 10);
    for (int i = 0; i < d.examples().size(); i++) {
      PretrainingExample e = d.examples().get(i);
      assertThat(e.tokenIds()).hasSize(12);
      assertThat(e.segments()).containsExactly(0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0);
      assertThat(e.validLen()).isEqualTo(7);
      assertThat(java.util.Arrays.copyOfRange(e.tokenIds(), 7, 12)).containsOnly(Vocab.PAD);
      assertThat(e.predPositions()).hasSize(2); // round(12 * 0.15) = 2
      assertThat(e.mlmWeights()).containsExactly(1f, 0f);
      assertThat(e.mlmLabels()[1]).isZero();
      assertThat(e.predPositions()[1]).isZero();
      assertThat(e.mlmLabels()[0]).isEqualTo(d.originalTokenIds(i)[e.predPositions()[0]]);
    }
  }

  @Test
  void thirtyTokenPairGetsFourPredictionsNotFive() {
    // one paragraph per line: a 13-token and a 14-token sentence; a pair is 13 + 14 + 3 = 30 (is_next or the random
    // 14) or 13 + 13 + 3 = 29 (random 13): both give 4 predictions
    String a = String.join(" ", Collections.nCopies(13, "w"));
    String b = String.join(" ", Collections.nCopies(14, "v"));
    List<String> lines = new ArrayList<>(Collections.nCopies(40, a + " . " + b));
    PretrainingDataset d = PretrainingDataset.build(lines, new DataConfig(64, 1, 7));
    assertThat(d.examples()).hasSize(40);
    assertThat(d.examples()).extracting(PretrainingExample::validLen).containsOnly(29, 30).contains(30);
    assertThat(d.examples()).extracting(PretrainingExample::numPreds).containsOnly(4);
  }

  @Test
  void sameSeedGivesTheSameExamplesAndAnotherSeedOthers() {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      lines.add("s" + i + " x y . t" + (i % 17) + " z . u" + (i % 5) + " . ");
    }
    DataConfig cfg = new DataConfig(64, 2, 11);
    PretrainingDataset one = PretrainingDataset.build(lines, cfg);
    PretrainingDataset two = PretrainingDataset.build(lines, cfg);
    PretrainingDataset other = PretrainingDataset.build(lines, cfg.withSeed(12));
    assertThat(two.examples()).isEqualTo(one.examples());
    assertThat(other.examples()).isNotEqualTo(one.examples());
    assertThat(other.vocab().size()).isEqualTo(one.vocab().size()); // the size does not depend on the seed
    assertThat(one.draws().pairsDrawn()).isEqualTo(400);
  }

  @Test
  void givenVocabularyIsUsedAsIsForTheValidationSplit() {
    PretrainingDataset train = PretrainingDataset.build(EVEN, new DataConfig(12, 1, 0));
    PretrainingDataset valid = PretrainingDataset.build(List.of("a zz . a zz"), train.vocab(), new DataConfig(12, 1, 0));
    assertThat(valid.vocab()).isSameAs(train.vocab());
    assertThat(valid.examples()).hasSize(1);
    int a = train.vocab().id("a");
    assertThat(a).isGreaterThan(Vocab.SEP);
    assertThat(valid.originalTokenIds(0)).containsExactly(Vocab.CLS, a, Vocab.UNK, Vocab.SEP, a, Vocab.UNK, Vocab.SEP);
  }

  @Test
  void debugStringNamesTokensSegmentsAndLabels() {
    PretrainingDataset d = PretrainingDataset.build(List.of("a b . c d"), new DataConfig(8, 1, 0));
    String s = d.examples().get(0).toDebugString(d.vocab());
    assertThat(s).startsWith("tokens: <cls> ").contains("segments: [0, 0, 0, 0, 1, 1, 1]", "valid_len: 7", "is_next: ");
  }

  @Test
  void rejectsMaxLenBelowFiveAndCorporaWithoutParagraphs() {
    assertThatThrownBy(() -> new DataConfig(4, 5, 0))
        .isInstanceOf(JbertException.class).hasMessageStartingWith("max_len must be at least 5");
    assertThatThrownBy(() -> PretrainingDataset.build(List.of(" = Title = ", ""), DataConfig.defaults()))
        .isInstanceOf(JbertException.class).hasMessageContaining("no paragraph");
  }
}
