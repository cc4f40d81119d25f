package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jbert.TestData;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole training split of the shared WikiText-2 copy, max_len 64, seed 0: every rule over every example. */
class WikiText2Test {
  private static Corpus corpus;
  private static PretrainingDataset dataset;

  @BeforeAll
  static void build() {
    corpus = Corpus.open(TestData.sharedZip());
    dataset = PretrainingDataset.build(corpus.trainLines(), DataConfig.defaults());
  }

  @Test
  void vocabularyHasD2lsSize20256AndFrequencyHead() {
    assertThat(dataset.vocab().size()).isEqualTo(20256);
    assertThat(dataset.stats().vocabHead())
        .containsExactly("<unk>", "<pad>", "<mask>", "<cls>", "<sep>", "the", ",", "of", "and", "in", "to", "a");
  }

  @Test
  void countsParagraphsSentencesAndPairsAsD2l() {
    // numbers from d2l's _read_wiki on the same file: 15496 paragraphs, 74631 sentences, 59135 = sum(len - 1) pairs
    assertThat(dataset.stats().paragraphs()).isEqualTo(15496);
    assertThat(dataset.stats().sentences()).isEqualTo(74631);
    assertThat(dataset.draws().pairsDrawn()).isEqualTo(59135);
    assertThat(dataset.stats().examples()).isEqualTo(dataset.examples().size()).isBetween(43000, 44300);
    assertThat(corpus.trainSha256()).isEqualTo("95d391461f8b518e0dbe99ddf539b93799909340b89425b45c35483d3389f122");
    assertThat(dataset.stats().corpusSha256()).isEqualTo(corpus.trainSha256());
  }

  @Test
  void everyExampleIsClsASepBSepWithMatchingSegmentsAndPadding() {
    List<PretrainingExample> examples = dataset.examples();
    for (int i = 0; i < examples.size(); i++) {
      PretrainingExample e = examples.get(i);
      int[] original = dataset.originalTokenIds(i);
      int len = e.validLen();
      assertThat(len).isEqualTo(original.length).isLessThanOrEqualTo(64);
      assertThat(e.tokenIds()).hasSize(64);
      assertThat(e.tokenIds()[0]).isEqualTo(Vocab.CLS);
      int firstSep = -1;
      for (int t = 0; t < 64; t++) {
        if (t >= len) {
          assertThat(e.tokenIds()[t]).isEqualTo(Vocab.PAD);
          assertThat(e.segments()[t]).isZero();
        } else if (e.segments()[t] == 1 && firstSep < 0) {
          firstSep = t - 1; // the segment turns to 1 right after the first <sep>
        }
      }
      assertThat(firstSep).isPositive();
      assertThat(e.tokenIds()[firstSep]).as("first <sep> of example %d", i).isEqualTo(Vocab.SEP);
      assertThat(e.tokenIds()[len - 1]).isEqualTo(Vocab.SEP);
      assertThat(original[firstSep]).isEqualTo(Vocab.SEP);
      for (int t = 0; t < len; t++) {
        assertThat(e.segments()[t]).isEqualTo(t <= firstSep ? 0 : 1);
      }
    }
  }

  @Test
  void predictionsAreIncreasingRealTokensWithWeightsAndOriginalLabels() {
    List<PretrainingExample> examples = dataset.examples();
    long masked = 0;
    long kept = 0;
    long randomized = 0;
    long preds = 0;
    for (int i = 0; i < examples.size(); i++) {
      PretrainingExample e = examples.get(i);
      int[] original = dataset.originalTokenIds(i);
      int n = e.numPreds();
      assertThat(n).isEqualTo(Math.min(MaskedLm.numPredictions(e.validLen()), e.validLen() - 3));
      preds += n;
      boolean[] predicted = new boolean[64];
      for (int k = 0; k < 10; k++) {
        if (k < n) {
          int pos = e.predPositions()[k];
          assertThat(e.mlmWeights()[k]).isEqualTo(1f);
          if (k > 0) {
            assertThat(pos).isGreaterThan(e.predPositions()[k - 1]);
          }
          assertThat(pos).isPositive().isLessThan(e.validLen());
          assertThat(original[pos]).isNotIn(Vocab.CLS, Vocab.SEP, Vocab.PAD);
          assertThat(e.mlmLabels()[k]).isEqualTo(original[pos]);
          predicted[pos] = true;
          int token = e.tokenIds()[pos];
          if (token == Vocab.MASK) {
            masked++;
          } else if (token == original[pos]) {
            kept++;
          } else {
            randomized++;
          }
        } else {
          assertThat(e.mlmWeights()[k]).isZero();
          assertThat(e.predPositions()[k]).isZero();
          assertThat(e.mlmLabels()[k]).isZero();
        }
      }
      for (int t = 0; t < e.validLen(); t++) {
        if (!predicted[t]) {
          assertThat(e.tokenIds()[t]).isEqualTo(original[t]);
        }
      }
    }
    assertThat(preds).isEqualTo(dataset.draws().masked() + dataset.draws().kept() + dataset.draws().randomized());
    assertThat(dataset.stats().meanMlmPreds()).isCloseTo((double) preds / examples.size(), within(1e-12));
    // a random token equal to <mask> or to the original counts as mask/keep here: 2 in 20256, far below 1 point
    assertThat((double) masked / preds).isCloseTo(0.8, within(0.01));
    assertThat((double) kept / preds).isCloseTo(0.1, within(0.01));
    assertThat((double) randomized / preds).isCloseTo(0.1, within(0.01));
    PretrainingDataset.DrawCounts draws = dataset.draws();
    assertThat((double) draws.masked() / preds).isCloseTo(0.8, within(0.01));
    assertThat((double) draws.kept() / preds).isCloseTo(0.1, within(0.01));
    assertThat((double) draws.randomized() / preds).isCloseTo(0.1, within(0.01));
  }

  @Test
  void isNextIsDrawnWithProbabilityHalfBeforeTheMaxLenDrop() {
    PretrainingDataset.DrawCounts draws = dataset.draws();
    assertThat((double) draws.isNextDrawn() / draws.pairsDrawn()).isCloseTo(0.5, within(0.01));
    // after the drop slightly more random pairs are gone (spec section 4: about 0.508)
    assertThat(dataset.stats().isNextFraction()).isBetween(0.5, 0.52);
    long kept = dataset.examples().stream().filter(PretrainingExample::isNext).count();
    assertThat(dataset.stats().isNextFraction()).isEqualTo((double) kept / dataset.examples().size());
  }

  @Test
  void trueNextPairsJoinConsecutiveSentencesOfOneParagraph() {
    for (int i = 0; i < dataset.examples().size(); i++) {
      int[] s = dataset.source(i);
      if (dataset.examples().get(i).isNext()) {
        assertThat(s[2]).isEqualTo(s[0]);
        assertThat(s[3]).isEqualTo(s[1] + 1);
      }
    }
  }

  @Test
  void sameSeedRebuildsIdenticalExamplesOnAllCores() {
    PretrainingDataset again = PretrainingDataset.build(corpus.trainLines(), DataConfig.defaults());
    assertThat(again.vocab()).isEqualTo(dataset.vocab());
    assertThat(again.examples()).isEqualTo(dataset.examples());
  }

  @Test
  void validationSplitUsesTheTrainingVocabulary() {
    List<String> valid = corpus.validLines().orElseThrow();
    assertThat(valid).hasSize(3760);
    PretrainingDataset v = PretrainingDataset.build(valid, dataset.vocab(), DataConfig.defaults());
    assertThat(v.vocab()).isSameAs(dataset.vocab());
    assertThat(v.examples()).hasSizeGreaterThan(3000);
  }
}
