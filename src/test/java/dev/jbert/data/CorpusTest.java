package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
  static final String TRAIN = " = Title = \n\n a b . c d . \n e f . g \n";

  /** A zip with the given entries (name, text). */
  static Path zip(Path file, Map<String, String> entries) throws IOException {
    try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, String> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return file;
  }

  @Test
  void readsTrainAndValidLinesStraightFromAZipInTheWikitextLayout(@TempDir Path dir) throws IOException {
    Path zip = zip(dir.resolve("w.zip"), Map.of(
        "wikitext-2/wiki.train.tokens", TRAIN, "wikitext-2/wiki.valid.tokens", " v . w \n"));
    Corpus c = Corpus.open(zip);
    assertThat(c.trainLines()).containsExactly(" = Title = ", "", " a b . c d . ", " e f . g ");
    assertThat(c.validLines()).contains(java.util.List.of(" v . w "));
    assertThat(c.source()).isEqualTo(zip);
    assertThat(c.trainSha256()).hasSize(64);
  }

  @Test
  void readsAFolderWithOrWithoutTheValidationSplit(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("wiki.train.tokens"), TRAIN);
    Corpus c = Corpus.open(dir);
    assertThat(c.trainLines()).hasSize(4);
    assertThat(c.validLines()).isEmpty();
    Files.writeString(dir.resolve("wiki.valid.tokens"), " v . w \n");
    assertThat(Corpus.open(dir).validLines()).contains(java.util.List.of(" v . w "));
  }

  @Test
  void readsTheTrainTokensFileItselfWithTheValidationFileBesideIt(@TempDir Path dir) throws IOException {
    Path train = Files.writeString(dir.resolve("wiki.train.tokens"), TRAIN);
    Files.writeString(dir.resolve("wiki.valid.tokens"), " v . w \n");
    Corpus c = Corpus.open(train);
    assertThat(c.trainLines()).containsExactly(" = Title = ", "", " a b . c d . ", " e f . g ");
    assertThat(c.validLines()).contains(java.util.List.of(" v . w "));
    Path other = Files.writeString(dir.resolve("notes.txt"), TRAIN);
    assertThatThrownBy(() -> Corpus.open(other)).isInstanceOf(JbertException.class)
        .hasMessageContaining("is neither a zip nor a file called wiki.train.tokens");
  }

  @Test
  void readsAFolderHoldingTheDownloadedZip(@TempDir Path dir) throws IOException {
    zip(dir.resolve(Corpus.ARCHIVE), Map.of("wikitext-2/wiki.train.tokens", TRAIN));
    assertThat(Corpus.open(dir).trainLines()).hasSize(4);
  }

  @Test
  void rejectsMissingCorruptIncompleteAndEmptyCorporaWithOneLineFixes(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> Corpus.open(dir.resolve("nope")))
        .isInstanceOf(JbertException.class).hasMessageStartingWith("no corpus at").hasMessageContaining("pass --data");
    Path corrupt = Files.writeString(dir.resolve("corrupt.zip"), "this is not a zip");
    assertThatThrownBy(() -> Corpus.open(corrupt))
        .isInstanceOf(JbertException.class).hasMessageContaining("is corrupt").hasMessageContaining("pass --data");
    Path noTrain = zip(dir.resolve("valid-only.zip"), Map.of("wikitext-2/wiki.valid.tokens", " v . w \n"));
    assertThatThrownBy(() -> Corpus.open(noTrain))
        .isInstanceOf(JbertException.class).hasMessageContaining("holds no wiki.train.tokens");
    Path empty = zip(dir.resolve("empty.zip"), Map.of("wikitext-2/wiki.train.tokens", " = Title = \n\n"));
    assertThatThrownBy(() -> Corpus.open(empty))
        .isInstanceOf(JbertException.class).hasMessageContaining("is empty").hasMessageContaining("no paragraph");
    Path emptyFolder = Files.createDirectory(dir.resolve("folder"));
    assertThatThrownBy(() -> Corpus.open(emptyFolder))
        .isInstanceOf(JbertException.class).hasMessageContaining("no wiki.train.tokens and no wikitext-2-v1.zip");
    Path latin1 = Files.createDirectory(dir.resolve("latin1"));
    Files.write(latin1.resolve("wiki.train.tokens"), new byte[] {'a', ' ', '.', ' ', (byte) 0xe9, '\n'});
    assertThatThrownBy(() -> Corpus.open(latin1))
        .isInstanceOf(JbertException.class).hasMessageContaining("is not UTF-8 text");
  }
}
