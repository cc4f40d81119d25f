package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jbert.TestData;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Spec section 5's option: new masks every epoch after the first, checked over the whole WikiText-2 training set. */
class DynamicMaskingTest {
  private static final Corpus CORPUS = Corpus.open(TestData.sharedZip());
  private static final PretrainingDataset DYNAMIC =
      PretrainingDataset.build(CORPUS.trainLines(), new DataConfig(64, 5, 0, true));

  @Test
  void theFirstEpochHasTheStaticMasksAndAStaticConfigNeverChangesThem() {
    PretrainingDataset fixed = PretrainingDataset.build(CORPUS.trainLines(), DataConfig.defaults());
    assertThat(DYNAMIC.examples(0)).isEqualTo(fixed.examples());
    assertThat(fixed.examples(3)).isEqualTo(fixed.examples());
  }

  @Test
  void laterEpochsMaskTheSamePairsAnewByTheSpecsRules() {
    List<PretrainingExample> first = DYNAMIC.examples(0);
    List<PretrainingExample> second = DYNAMIC.examples(1);
    assertThat(DYNAMIC.examples(1)).isEqualTo(second); // a function of (seed, epoch, example): resumable
    assertThat(DYNAMIC.examples(2)).isNotEqualTo(second);
    long[] counts = WikiText2Test.checkMaskedLmRules(second, DYNAMIC::originalTokenIds); // the spec's rules
    long masked = counts[0];
    long kept = counts[1];
    long preds = counts[3];
    int vocab = DYNAMIC.vocab().size();
    int moved = 0;
    for (int i = 0; i < second.size(); i++) {
      PretrainingExample e = second.get(i);
      PretrainingExample s = first.get(i); // the same pair as in epoch 0
      assertThat(e.segments()).isEqualTo(s.segments());
      assertThat(e.isNext()).isEqualTo(s.isNext());
      assertThat(e.numPreds()).isEqualTo(s.numPreds());
      moved += Arrays.equals(e.predPositions(), s.predPositions()) ? 0 : 1;
    }
    // 302,000-odd predictions: binomial standard deviations below 0.001
    assertThat(masked / (double) preds).isCloseTo(0.8, within(0.004));
    assertThat(kept / (double) preds).isCloseTo(0.1 + 0.1 / vocab, within(0.003));
    // a pair of 46 tokens has C(44, 7) choices of positions: hardly any pair keeps its old ones
    assertThat(moved / (double) second.size()).isGreaterThan(0.95);
  }
}
