package dev.jbert.data.wordpiece;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import dev.jbert.TestData;
import dev.jbert.data.Corpus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class WordPieceTrainerTest {
  private static TrainedVocab train(VocabConfig config, String... lines) {
    WordPieceTrainer trainer = new WordPieceTrainer(config);
    for (String line : lines) {
      trainer.add(line);
    }
    return trainer.train();
  }

  private static List<String> afterSpecials(TrainedVocab v) {
    assertThat(v.vocab().tokens().subList(0, 5)).containsExactly("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    return v.vocab().tokens().subList(5, v.vocab().size());
  }

  @Test
  void mergesTheMostFrequentPairFirstContinuationPiecesToo() {
    // xyz 3 times, wyz twice: pairs (##y,##z) 5, (x,##y) 3, (w,##y) 2
    TrainedVocab v = train(VocabConfig.uncased(100), "xyz xyz XYZ", "wyz wyz");
    assertThat(afterSpecials(v)).containsExactly("w", "x", "y", "z", "##y", "##z", "##yz", "xyz", "wyz");
    assertThat(v.alphabet()).isEqualTo(4);
    assertThat(v.continuationAlphabet()).isEqualTo(2);
    assertThat(v.merges()).isEqualTo(3);
    assertThat(v.words()).isEqualTo(5);
    assertThat(v.distinctWords()).isEqualTo(2);
    assertThat(v.complete()).isFalse(); // 14 of 100: nothing left to merge
    assertThat(v.tokenizer().tokenize("xyz wyz zy zyx")).containsExactly("xyz", "wyz", "z", "##y", "[UNK]");
  }

  @Test
  void stopsAtTheSizeAskedFor() {
    TrainedVocab v = train(VocabConfig.uncased(12), "xyz xyz xyz wyz wyz");
    assertThat(afterSpecials(v)).containsExactly("w", "x", "y", "z", "##y", "##z", "##yz");
    assertThat(v.complete()).isTrue();
    assertThat(v.merges()).isEqualTo(1);
  }

  @Test
  void equalCountsMergeThePairOfSmallerIdsFirst() {
    // (x,##y) and (z,##w) both twice: x (6) comes before z (8)
    TrainedVocab v = train(VocabConfig.uncased(12), "zw xy zw xy");
    assertThat(afterSpecials(v)).containsExactly("w", "x", "y", "z", "##w", "##y", "xy");
  }

  @Test
  void pairsBelowTheMinimumFrequencyAreNotMerged() {
    TrainedVocab twice = train(VocabConfig.uncased(100), "ab ab cd");
    assertThat(afterSpecials(twice)).containsExactly("a", "b", "c", "d", "##b", "##d", "ab");
    TrainedVocab once = train(new VocabConfig(100, true, 1), "ab ab cd");
    assertThat(afterSpecials(once)).containsExactly("a", "b", "c", "d", "##b", "##d", "ab", "cd");
  }

  @Test
  void casedKeepsCaseAndAccents() {
    TrainedVocab v = train(VocabConfig.cased(100), "Éa Éa");
    assertThat(afterSpecials(v)).containsExactly("a", "É", "##a", "Éa");
    TrainedVocab u = train(VocabConfig.uncased(100), "Éa Éa");
    assertThat(afterSpecials(u)).containsExactly("a", "e", "##a", "ea");
  }

  @Test
  void aSizeBelowSpecialsPlusAlphabetIsRejectedWithTheMinimum() {
    assertThatThrownBy(() -> train(VocabConfig.uncased(10), "xyz wyz"))
        .isInstanceOf(JbertException.class)
        .hasMessage("vocabulary size 10 is smaller than the 5 special tokens plus the corpus's alphabet (4 characters,"
            + " 2 of them also as ## pieces): pass --size 11 or more");
    assertThatThrownBy(() -> VocabConfig.uncased(4))
        .isInstanceOf(JbertException.class).hasMessageContaining("at least 5");
  }

  @Test
  void aCorpusWithoutWordsIsRejected() {
    assertThatThrownBy(() -> train(VocabConfig.uncased(100), "", " \t ", "\u0000\u200B"))
        .isInstanceOf(JbertException.class).hasMessageContaining("the corpus has no words");
  }

  /** WikiText-2's training text: BERT's size reached, the whole alphabet in, and the same vocabulary in any order. */
  @Test
  void wikiText2ReachesBertsSizeWithEveryCharacterAndIsDeterministic() {
    List<String> lines = Corpus.open(TestData.sharedZip()).trainLines();
    WordPieceTrainer trainer = new WordPieceTrainer(VocabConfig.uncased(VocabConfig.BERT_SIZE));
    lines.forEach(trainer::add);
    TrainedVocab v = trainer.train();
    assertThat(v.vocab().size()).isEqualTo(30522);
    assertThat(v.complete()).isTrue();
    assertThat(v.vocab().tokens().subList(0, 5)).containsExactly("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    assertThat(v.words()).isGreaterThan(2_000_000);
    TreeSet<Integer> starts = new TreeSet<>();
    TreeSet<Integer> inner = new TreeSet<>();
    BasicTokenizer basic = new BasicTokenizer(true);
    for (String line : lines) {
      for (String word : basic.words(line)) {
        int[] cps = word.codePoints().toArray();
        for (int k = 0; k < cps.length; k++) {
          (k == 0 ? starts : inner).add(cps[k]);
        }
      }
    }
    starts.addAll(inner);
    assertThat(v.alphabet()).isEqualTo(starts.size());
    assertThat(v.continuationAlphabet()).isEqualTo(inner.size());
    starts.forEach(cp -> assertThat(v.vocab().id(Character.toString(cp))).as("U+%04X", cp).isPositive());
    inner.forEach(cp -> assertThat(v.vocab().id("##" + Character.toString(cp))).as("##U+%04X", cp).isPositive());
    // the frequent words are whole tokens; the trained tokenizer never needs [UNK] on its own corpus
    for (String word : List.of("the", "of", "and", "in", "was", "film", "season", "=")) {
      assertThat(v.vocab().id(word)).as(word).isGreaterThan(4);
    }
    WordPieceTokenizer t = v.tokenizer();
    assertThat(lines.stream().limit(3000).flatMapToInt(l -> java.util.Arrays.stream(t.encode(l)))
        .filter(id -> id == 1)).isEmpty();

    List<String> shuffled = new ArrayList<>(lines);
    Collections.shuffle(shuffled, new Random(7));
    WordPieceTrainer again = new WordPieceTrainer(VocabConfig.uncased(VocabConfig.BERT_SIZE));
    shuffled.forEach(again::add);
    assertThat(again.train().vocab().tokens()).isEqualTo(v.vocab().tokens());
  }
}
