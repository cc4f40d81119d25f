package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jbert.JbertException;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MaskedLmTest {
  /** d2l's rules over a vocabulary of {@code size} tokens, none of them a ## piece. */
  private static MaskedLm d2l(int size) {
    return new MaskedLm(MaskConfig.d2l(), tokens(size));
  }

  private static List<String> tokens(int size) {
    List<String> tokens = new ArrayList<>(Vocab.RESERVED);
    for (int i = tokens.size(); i < size; i++) {
      tokens.add("t" + i);
    }
    return tokens;
  }
  @Test
  void predictionCountRoundsHalfToEvenLikePython() {
    // Python: max(1, round(n * 0.15))
    int[] lengths = {3, 5, 7, 10, 17, 29, 30, 31, 50, 64, 70};
    int[] expected = {1, 1, 1, 2, 3, 4, 4, 5, 8, 10, 10};
    for (int i = 0; i < lengths.length; i++) {
      assertThat(MaskConfig.d2l().predictions(lengths[i])).as("length %d", lengths[i]).isEqualTo(expected[i]);
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
      int[] positions = d2l(100).maskInPlace(t, 30, rng, actions);
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
    int[] positions = d2l(10).maskInPlace(tokens, 3, new SplittableRandom(1), new long[3]);
    assertThat(positions).isEmpty();
    assertThat(tokens).containsExactly(Vocab.CLS, Vocab.SEP, Vocab.SEP);
  }

  @Test
  void wholeWordMaskingChoosesEveryPieceOfAWordTogether() {
    // <cls> un ##believ ##able story <sep> ##s tell ##ing <sep>: words [1-3] [4] | [6] [7-8] (a ## after <sep> starts
    // a word of its own: a word never spans the two segments)
    List<String> vocab = new ArrayList<>(Vocab.RESERVED);
    vocab.addAll(List.of("un", "##believ", "##able", "story", "##s", "tell", "##ing"));
    MaskedLm wholeWords = new MaskedLm(MaskConfig.d2l().withRate(0.3).withWholeWord(true), vocab);
    int[] tokens = {Vocab.CLS, 5, 6, 7, 8, Vocab.SEP, 9, 10, 11, Vocab.SEP};
    SplittableRandom rng = new SplittableRandom(7);
    int[] chosenAlone = new int[tokens.length];
    int trials = 4000;
    for (int trial = 0; trial < trials; trial++) {
      int[] t = tokens.clone();
      int[] positions = wholeWords.maskInPlace(t, t.length, rng, new long[3]);
      // 10 tokens at 0.3: 3 predictions; a word that would overshoot is skipped
      assertThat(positions.length).isBetween(1, 3);
      java.util.Set<Integer> chosen = new java.util.HashSet<>();
      for (int p : positions) {
        chosen.add(p);
      }
      assertThat(chosen.contains(1)).isEqualTo(chosen.contains(2)).isEqualTo(chosen.contains(3));
      assertThat(chosen.contains(7)).isEqualTo(chosen.contains(8));
      for (int p : positions) {
        chosenAlone[p]++;
      }
    }
    assertThat(chosenAlone[6]).isPositive(); // "##s" after <sep> is chosen alone
    assertThat(chosenAlone[0] + chosenAlone[5] + chosenAlone[9]).isZero();
    // [1-3] takes all 3 slots, so it is chosen only when it is drawn first: less often than [4]
    assertThat(chosenAlone[1]).isLessThan(chosenAlone[4]);
  }

  @Test
  void wholeWordMaskingWithoutPiecesDrawsTheMasksOfTokenMasking() {
    // d2l's words hold no ## piece: every token is a word, and the draws are the same, so the examples are too
    List<String> vocab = tokens(50);
    MaskedLm tokensOnly = new MaskedLm(MaskConfig.d2l(), vocab);
    MaskedLm wholeWords = new MaskedLm(MaskConfig.d2l().withWholeWord(true), vocab);
    SplittableRandom lengths = new SplittableRandom(3);
    for (int trial = 0; trial < 500; trial++) {
      int length = 5 + lengths.nextInt(40);
      int[] t = new int[length];
      for (int i = 0; i < length; i++) {
        t[i] = 5 + lengths.nextInt(45);
      }
      t[0] = Vocab.CLS;
      t[length / 2] = Vocab.SEP;
      t[length - 1] = Vocab.SEP;
      int[] a = t.clone();
      int[] b = t.clone();
      assertThat(wholeWords.maskInPlace(b, length, new SplittableRandom(trial), new long[3]))
          .containsExactly(tokensOnly.maskInPlace(a, length, new SplittableRandom(trial), new long[3]));
      assertThat(b).containsExactly(a);
    }
  }

  @Test
  void anotherRateAndSplitChangeTheCountAndTheShares() {
    MaskedLm half = new MaskedLm(MaskConfig.d2l().withRate(0.5).withSplit("0.5,0.5,0"), tokens(100));
    int[] tokens = new int[30];
    for (int i = 0; i < 30; i++) {
      tokens[i] = 10 + i;
    }
    tokens[0] = Vocab.CLS;
    tokens[29] = Vocab.SEP;
    long[] actions = new long[3];
    SplittableRandom rng = new SplittableRandom(5);
    for (int trial = 0; trial < 2000; trial++) {
      int[] t = tokens.clone();
      assertThat(half.maskInPlace(t, 30, rng, actions)).hasSize(15); // round(30 * 0.5)
      for (int i = 0; i < 30; i++) {
        assertThat(t[i]).isIn(tokens[i], Vocab.MASK); // no random replacement at a random share of 0
      }
    }
    assertThat(actions[MaskedLm.Action.MASK.ordinal()] / 30000.0).isCloseTo(0.5, within(0.01));
    assertThat(actions[MaskedLm.Action.RANDOM.ordinal()]).isZero();
    assertThat(new DataConfig(64, 5, 0).withMasking(MaskConfig.d2l().withRate(0.2)).maxPreds()).isEqualTo(13);
  }

  @Test
  void maskConfigRejectsARateOutsideZeroToOneAndASplitThatIsNotThreeSharesAddingUpToOne() {
    assertThatThrownBy(() -> MaskConfig.d2l().withRate(0)).isInstanceOf(JbertException.class)
        .hasMessage("--mask-rate must lie in (0, 1], got 0.0 (d2l and BERT use 0.15)");
    assertThatThrownBy(() -> MaskConfig.d2l().withSplit("0.8,0.1,0.2")).isInstanceOf(JbertException.class)
        .hasMessage("--mask-split must add up to 1 (mask, keep, random), got 0.8,0.1,0.2 (d2l and BERT use"
            + " 0.8,0.1,0.1)");
    assertThatThrownBy(() -> MaskConfig.d2l().withSplit("0.8,0.2")).isInstanceOf(JbertException.class)
        .hasMessageStartingWith("--mask-split takes three shares");
    assertThatThrownBy(() -> MaskConfig.d2l().withSplit("a,b,c")).isInstanceOf(JbertException.class)
        .hasMessageStartingWith("--mask-split takes three numbers");
    assertThat(MaskConfig.d2l().withSplit(" 0.8, 0.1 ,0.1")).isEqualTo(MaskConfig.d2l());
  }
}
