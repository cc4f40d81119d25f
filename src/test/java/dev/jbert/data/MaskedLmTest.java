package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MaskedLmTest {
  @Test
  void predictionCountRoundsHalfToEvenLikePython() {
    // Python: max(1, round(n * 0.15))
    int[] lengths = {3, 5, 7, 10, 17, 29, 30, 31, 50, 64, 70};
    int[] expected = {1, 1, 1, 2, 3, 4, 4, 5, 8, 10, 10};
    for (int i = 0; i < lengths.length; i++) {
      assertThat(MaskedLm.numPredictions(lengths[i])).as("length %d", lengths[i]).isEqualTo(expected[i]);
    }
  }

  @Test
  void maxPredsOfMaxLen64IsTen() {
    assertThat(DataConfig.defaults().maxPreds()).isEqualTo(10);
    assertThat(new DataConfig(5, 5, 0).maxPreds()).isEqualTo(1);
    assertThat(new DataConfig(70, 5, 0).maxPreds()).isEqualTo(10);
  }

  @Test
  void choosesDistinctPositionsNeverOnClsOrSep() {
    // <cls> 10 11 <sep> 12 13 14 15 16 17 <sep> ... 30 tokens: 4 predictions
    int[] tokens = new int[30];
    for (int i = 0; i < 30; i++) {
      tokens[i] = 10 + i;
    }
    tokens[0] = Vocab.CLS;
    tokens[3] = Vocab.SEP;
    tokens[29] = Vocab.SEP;
    long[] actions = new long[3];
    SplittableRandom rng = new SplittableRandom(42);
    int[] hits = new int[30];
    for (int trial = 0; trial < 2000; trial++) {
      int[] t = tokens.clone();
      int[] positions = MaskedLm.maskInPlace(t, 30, 100, rng, actions);
      assertThat(positions).hasSize(4).isSorted().doesNotHaveDuplicates().doesNotContain(0, 3, 29);
      for (int i = 0; i < 30; i++) {
        if (java.util.Arrays.binarySearch(positions, i) < 0) {
          assertThat(t[i]).isEqualTo(tokens[i]);
        }
      }
      for (int p : positions) {
        hits[p]++;
      }
    }
    // 27 candidates, 4 chosen each time: each is chosen 2000 * 4/27 = 296 times on average
    for (int i = 0; i < 30; i++) {
      if (i == 0 || i == 3 || i == 29) {
        assertThat(hits[i]).isZero();
      } else {
        assertThat(hits[i]).isBetween(230, 370);
      }
    }
    double total = actions[0] + actions[1] + actions[2];
    assertThat(total).isEqualTo(8000);
    assertThat(actions[MaskedLm.Action.MASK.ordinal()] / total).isCloseTo(0.8, within(0.02));
    assertThat(actions[MaskedLm.Action.KEEP.ordinal()] / total).isCloseTo(0.1, within(0.02));
    assertThat(actions[MaskedLm.Action.RANDOM.ordinal()] / total).isCloseTo(0.1, within(0.02));
  }

  @Test
  void pairOfTwoEmptySentencesHasNoCandidateAndNoPrediction() {
    int[] tokens = {Vocab.CLS, Vocab.SEP, Vocab.SEP};
    int[] positions = MaskedLm.maskInPlace(tokens, 3, 10, new SplittableRandom(1), new long[3]);
    assertThat(positions).isEmpty();
    assertThat(tokens).containsExactly(Vocab.CLS, Vocab.SEP, Vocab.SEP);
  }
}
