package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabTest {
  // counts: c 3; b, a, "." and <unk> 2 (first seen in that order); d and e 1
  private static final List<List<List<String>>> CORPUS = List.of(
      List.of(List.of("b", "a", "c"), List.of("a", ".", "c")),
      List.of(List.of("c", "b", ".", "d")),
      List.of(List.of("<unk>", "<unk>", "e")));

  @Test
  void ordersReservedThenFrequencyDescendingWithTiesByFirstOccurrence() {
    Vocab v = ReferenceVocab.build(CORPUS, 2);
    assertThat(v.tokens()).containsExactly("<unk>", "<pad>", "<mask>", "<cls>", "<sep>", "c", "b", "a", ".");
    assertThat(v.size()).isEqualTo(9);
    assertThat(List.of(v.id("<unk>"), v.id("<pad>"), v.id("<mask>"), v.id("<cls>"), v.id("<sep>")))
        .containsExactly(Vocab.UNK, Vocab.PAD, Vocab.MASK, Vocab.CLS, Vocab.SEP);
  }

  @Test
  void tokensBelowMinFreqAndUnseenTokensMapToUnk() {
    Vocab v = ReferenceVocab.build(CORPUS, 2);
    assertThat(v.id("d")).isZero();
    assertThat(v.id("never seen")).isZero();
    assertThat(v.ids(List.of("c", "d", "a", "<unk>"))).containsExactly(5, 0, 7, 0);
    assertThat(v.token(6)).isEqualTo("b");
    assertThat(ReferenceVocab.build(CORPUS, 1).size()).isEqualTo(11); // + d, e
    assertThat(ReferenceVocab.build(CORPUS, 3).tokens()).containsExactly("<unk>", "<pad>", "<mask>", "<cls>", "<sep>", "c");
  }

  @Test
  void fastPathFromTokenCountsEqualsBuild() {
    TokenizedCorpus corpus = TokenizedCorpus.of(List.of("b a c . a . c", "c b . d", "<unk> <unk> e . "));
    assertThat(Vocab.fromCounts(corpus, new int[] {0, 1, 2}, 2))
        .isEqualTo(ReferenceVocab.build(ReferenceParagraphs.fromLines(List.of("b a c . a . c", "c b . d", "<unk> <unk> e . ")), 2));
  }

  @Test
  void savesOneTokenALineAndLoadsTheSameVocabulary(@TempDir Path dir) throws Exception {
    Vocab v = ReferenceVocab.build(CORPUS, 2);
    Path file = dir.resolve("run").resolve("vocab.txt");
    v.save(file);
    assertThat(Files.readAllLines(file, StandardCharsets.UTF_8))
        .containsExactly("<unk>", "<pad>", "<mask>", "<cls>", "<sep>", "c", "b", "a", ".");
    Vocab loaded = Vocab.load(file);
    assertThat(loaded).isEqualTo(v);
    assertThat(loaded.id(".")).isEqualTo(8);
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file); // no temporary file left behind
    }
  }

  @Test
  void loadRejectsMissingAndForeignFilesWithOneLineMessages(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> Vocab.load(dir.resolve("nope.txt")))
        .isInstanceOf(JbertException.class).hasMessageContaining("no vocabulary at").hasMessageNotContaining("\n");
    Path foreign = Files.writeString(dir.resolve("vocab.txt"), "[PAD]\n[UNK]\nthe\n");
    assertThatThrownBy(() -> Vocab.load(foreign))
        .isInstanceOf(JbertException.class).hasMessageContaining("must start with the lines <unk> <pad>");
    Path dup = Files.writeString(dir.resolve("dup.txt"), "<unk>\n<pad>\n<mask>\n<cls>\n<sep>\nthe\nthe\n");
    assertThatThrownBy(() -> Vocab.load(dup))
        .isInstanceOf(JbertException.class).hasMessageContaining("duplicate token the at id 6");
  }
}
