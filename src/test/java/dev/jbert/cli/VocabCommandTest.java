package dev.jbert.cli;

import static dev.jbert.cli.CliRun.assertOneLineError;
import static dev.jbert.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbert.TestData;
import dev.jbert.data.wordpiece.TokenizerFiles;
import dev.jbert.data.wordpiece.WordPieceTokenizer;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabCommandTest {
  @TempDir Path dir;

  /** A file, and a folder with a .txt and a .gz: "xyz" three times, "wyz" twice, in all. */
  private List<String> tinyCorpus() throws Exception {
    Path file = Files.writeString(dir.resolve("one.txt"), "XYZ xyz\n");
    Path folder = Files.createDirectories(dir.resolve("more"));
    Files.writeString(folder.resolve("two.txt"), "wyz\r\n");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(folder.resolve("three.txt.gz")))) {
      out.write("xyz wyz".getBytes(StandardCharsets.UTF_8));
    }
    return List.of(file.toString(), folder.toString());
  }

  private static List<String> names(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void trainsOnFilesAndFoldersAndWritesTheThreeFiles() throws Exception {
    List<String> data = tinyCorpus();
    Path out = dir.resolve("vocab");
    CliRun r = run("vocab", "--data", data.get(0), data.get(1), "--size", "14", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).contains("read 3 files, 0.0 MB, 5 words (2 distinct) in ")
        .contains("vocabulary: 14 tokens (5 special, 4 characters, 2 ## characters, 3 merges), uncased, in ")
        .contains("wrote vocab.txt, tokenizer.json, tokenizer_config.json in " + out)
        .doesNotContain("note:");
    assertThat(names(out)).containsExactly("tokenizer.json", "tokenizer_config.json", "vocab.txt");
    assertThat(Files.readString(out.resolve("vocab.txt"))).isEqualTo(
        "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nw\nx\ny\nz\n##y\n##z\n##yz\nxyz\nwyz\n");
    WordPieceTokenizer t = TokenizerFiles.load(out);
    assertThat(t.tokenize("XYZ wyz zy")).containsExactly("xyz", "wyz", "z", "##y");
  }

  @Test
  void casedKeepsCaseAndASmallerCorpusGivesFewerTokensWithANote() throws Exception {
    Path file = Files.writeString(dir.resolve("c.txt"), "Xyz Xyz");
    Path out = dir.resolve("cased");
    CliRun r = run("vocab", "--data", file.toString(), "--cased", "--size", "30", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("vocabulary: 12 tokens").contains(", cased, ")
        .contains("note: 12 tokens, not the 30 asked for: no pair of pieces occurs 2 times or more");
    // (X, ##y) and (##y, ##z) both twice: the pair of smaller ids first
    assertThat(Files.readAllLines(out.resolve("vocab.txt"))).endsWith("X", "y", "z", "##y", "##z", "Xy", "Xyz");
    JsonNode json = new ObjectMapper().readTree(out.resolve("tokenizer.json").toFile());
    assertThat(json.at("/normalizer/lowercase").asBoolean()).isFalse();
  }

  @Test
  void readsWikiText2FromItsZip() throws Exception {
    Path out = dir.resolve("wiki");
    CliRun r = run("vocab", "--data", TestData.sharedZip().toString(), "--size", "2000", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("read 1 file, ").contains("vocabulary: 2000 tokens");
    assertThat(Files.readAllLines(out.resolve("vocab.txt"))).hasSize(2000).contains("the", "##s");
  }

  @Test
  void aSizeBelowSpecialsPlusAlphabetIsAOneLineErrorAndWritesNothing() throws Exception {
    List<String> data = tinyCorpus();
    Path out = dir.resolve("vocab");
    CliRun tooSmall = run("vocab", "--data", data.get(0), data.get(1), "--size", "10", "--out", out.toString());
    assertThat(tooSmall.code()).isEqualTo(2);
    assertThat(tooSmall.err()).isEqualTo("error: vocabulary size 10 is smaller than the 5 special tokens plus the"
        + " corpus's alphabet (4 characters, 2 of them also as ## pieces): pass --size 11 or more"
        + System.lineSeparator());
    assertThat(tooSmall.out()).startsWith("read 3 files, ").hasLineCount(1); // what it read, then the error
    assertThat(out).doesNotExist();
    assertOneLineError(run("vocab", "--data", data.get(0), "--size", "3", "--out", out.toString()),
        "vocabulary size must be at least 5");
    assertThat(out).doesNotExist();
  }

  @Test
  void anEmptyCorpusIsAOneLineErrorAndWritesNothing() throws Exception {
    Path file = Files.writeString(dir.resolve("blank.txt"), " \n\t\n\u200B\n");
    Path out = dir.resolve("vocab");
    assertOneLineError(run("vocab", "--data", file.toString(), "--out", out.toString()),
        "no words in " + file + ": the corpus is empty");
    assertThat(out).doesNotExist();
  }

  @Test
  void binaryAndNonUtf8FilesAreOneLineErrorsNamingFileAndOffset() throws Exception {
    Path out = dir.resolve("vocab");
    Path binary = Files.write(dir.resolve("image.txt"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0});
    assertOneLineError(run("vocab", "--data", binary.toString(), "--out", out.toString()),
        binary + " looks binary: a NUL byte at byte offset 4");
    Path latin1 = Files.write(dir.resolve("latin1.txt"), "caf\u00E9\n".getBytes(StandardCharsets.ISO_8859_1));
    assertOneLineError(run("vocab", "--data", latin1.toString(), "--out", out.toString()),
        latin1 + " is not UTF-8 text: invalid byte 0xE9 at byte offset 3");
    assertThat(out).doesNotExist();
  }

  @Test
  void missingPathsAndAFileAsOutAreOneLineErrors() throws Exception {
    Path out = dir.resolve("vocab");
    assertOneLineError(run("vocab", "--data", dir.resolve("nope").toString(), "--out", out.toString()),
        "no such file or folder: " + dir.resolve("nope"));
    Path file = Files.writeString(dir.resolve("x.txt"), "a b");
    assertOneLineError(run("vocab", "--data", file.toString(), "--out", file.toString()),
        "--out " + file + " is a file: pass a folder");
    assertOneLineError(run("vocab", "--out", out.toString()), "Missing required option: '--data=PATH'");
    assertThat(out).doesNotExist();
  }

  @Test
  void rootHelpListsTheVocabCommand() {
    CliRun r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("vocab").contains("Train a WordPiece vocabulary");
  }
}
