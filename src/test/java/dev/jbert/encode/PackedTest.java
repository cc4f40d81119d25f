package dev.jbert.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.data.DataConfig;
import dev.jbert.data.PretrainingDataset;
import dev.jbert.data.PretrainingExample;
import dev.jbert.data.Tokenizer;
import dev.jbert.data.wordpiece.WordPieceTokenizer;
import dev.jbert.data.wordpiece.WordPieceVocab;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The encoder packs a pair exactly as the pretraining examples were packed, whatever the tokenizer. */
class PackedTest {
  private static final List<String> LINES = List.of(" the cat sat on the mat . the dog ran . a cat ran fast . ",
      " the dog sat . the cat played on the mat . ");

  @Test
  void theEncoderPacksEveryExamplesPairAsTheDatasetDidWithD2lsWords() {
    PretrainingDataset d = PretrainingDataset.build(LINES, new DataConfig(32, 1, 3));
    assertSamePacking(d);
  }

  @Test
  void theEncoderPacksEveryExamplesPairAsTheDatasetDidWithWordPieces() {
    List<String> tokens = new ArrayList<>(List.of("[PAD]"));
    for (int i = 0; i < 99; i++) {
      tokens.add("[unused" + i + "]");
    }
    tokens.addAll(List.of("[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "dog", "ran", "a",
        "fast", "play", "##ed", "."));
    WordPieceTokenizer hf = new WordPieceTokenizer(WordPieceVocab.of(tokens), true);
    PretrainingDataset d = PretrainingDataset.build(LINES, hf, new DataConfig(32, 1, 3));
    assertSamePacking(d);
    // and the special tokens are the vocabulary's: [CLS]=101, [SEP]=102, [PAD]=0
    PretrainingExample e = d.examples().get(0);
    assertThat(e.tokenIds()[0]).isEqualTo(101);
    assertThat(e.tokenIds()[e.validLen() - 1]).isEqualTo(102);
    assertThat(e.tokenIds()[e.validLen()]).isZero();
  }

  private static void assertSamePacking(PretrainingDataset d) {
    Tokenizer t = d.vocab();
    assertThat(d.examples()).isNotEmpty();
    for (int i = 0; i < d.examples().size(); i++) {
      int[] source = d.source(i);
      List<String> a = tokens(t, d.sentence(source[0], source[1]));
      List<String> b = tokens(t, d.sentence(source[2], source[3]));
      Packed p = Packed.of(Input.tokens(a, b), t, 32, false);
      PretrainingExample e = d.examples().get(i);
      assertThat(p.ids()).isEqualTo(Arrays.stream(d.originalTokenIds(i)).asLongStream().toArray());
      assertThat(p.segments()).isEqualTo(Arrays.stream(Arrays.copyOf(e.segments(), e.validLen())).asLongStream()
          .toArray());
      assertThat(p.tokens().get(0)).isEqualTo(t.token(t.specials().cls()));
    }
  }

  private static List<String> tokens(Tokenizer t, int[] ids) {
    return Arrays.stream(ids).mapToObj(t::token).toList();
  }
}
