package dev.jbert.data.wordpiece;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordPieceVocabTest {
  @TempDir Path dir;

  @Test
  void jbertLayoutHasTheSpecialsAtZeroToFour() {
    WordPieceVocab v = WordPieceVocab.of(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##b"));
    assertThat(new int[] {v.padId(), v.unkId(), v.clsId(), v.sepId(), v.maskId()}).containsExactly(0, 1, 2, 3, 4);
    assertThat(v.id("##b")).isEqualTo(6);
    assertThat(v.id("b")).isEqualTo(-1);
    assertThat(v.token(5)).isEqualTo("a");
    assertThat(v.size()).isEqualTo(7);
  }

  @Test
  void googleLayoutVocabTxtIsReadBySpecialName() throws Exception {
    List<String> lines = new ArrayList<>(List.of("[PAD]"));
    for (int i = 0; i < 99; i++) {
      lines.add("[unused" + i + "]");
    }
    lines.addAll(List.of("[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "##s"));
    Path file = dir.resolve("vocab.txt");
    Files.writeString(file, String.join("\n", lines) + "\n");
    WordPieceVocab v = WordPieceVocab.load(file);
    assertThat(new int[] {v.padId(), v.unkId(), v.clsId(), v.sepId(), v.maskId()})
        .containsExactly(0, 100, 101, 102, 103);
    assertThat(v.size()).isEqualTo(106);
    assertThat(v.id("##s")).isEqualTo(105);
  }

  @Test
  void writeThenLoadRoundTripsByteForByte() throws Exception {
    WordPieceVocab v = WordPieceVocab.of(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "é", "##中", "🙂"));
    Path file = dir.resolve("out").resolve("vocab.txt");
    v.write(file);
    assertThat(Files.readString(file, StandardCharsets.UTF_8))
        .isEqualTo("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\né\n##中\n🙂\n");
    assertThat(WordPieceVocab.load(file)).isEqualTo(v);
    try (var files = Files.list(file.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("vocab.txt");
    }
  }

  @Test
  void windowsLineEndsAndAMissingLastLineEndAreRead() throws Exception {
    Path file = dir.resolve("vocab.txt");
    Files.writeString(file, "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\nx");
    WordPieceVocab v = WordPieceVocab.load(file);
    assertThat(v.tokens()).containsExactly("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "x");
  }

  @Test
  void aTokenListedTwiceTakesItsLastId() {
    WordPieceVocab v = WordPieceVocab.of(List.of("[PAD]", "x", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "x"));
    assertThat(v.id("x")).isEqualTo(6);
    assertThat(v.token(1)).isEqualTo("x");
    assertThat(v.size()).isEqualTo(7);
  }

  @Test
  void aMissingSpecialTokenIsAOneLineError() {
    assertThatThrownBy(() -> WordPieceVocab.of(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "a")))
        .isInstanceOf(JbertException.class)
        .hasMessageContaining("lacks [MASK]")
        .hasMessageNotContaining("\n");
  }

  @Test
  void missingEmptyOrNonUtf8FilesAreOneLineErrors() throws Exception {
    assertThatThrownBy(() -> WordPieceVocab.load(dir.resolve("nope.txt")))
        .isInstanceOf(JbertException.class).hasMessageContaining("no vocabulary at");
    Path empty = Files.writeString(dir.resolve("empty.txt"), "");
    assertThatThrownBy(() -> WordPieceVocab.load(empty))
        .isInstanceOf(JbertException.class).hasMessageContaining("is empty");
    Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'[', 'P', 'A', 'D', ']', '\n', (byte) 0xE9});
    assertThatThrownBy(() -> WordPieceVocab.load(latin1))
        .isInstanceOf(JbertException.class).hasMessageContaining("is not UTF-8");
  }
}
