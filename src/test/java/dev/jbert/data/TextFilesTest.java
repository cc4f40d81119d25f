package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import dev.jbert.TestData;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextFilesTest {
  @TempDir Path dir;

  private static List<String> lines(Path file) {
    List<String> lines = new ArrayList<>();
    TextFiles.forEachLine(file, lines::add);
    return lines;
  }

  private Path gzip(String name, byte[] content) throws Exception {
    Path file = dir.resolve(name);
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(content);
    }
    return file;
  }

  @Test
  void readsLinesWithoutTheirEndsFromTextAndGzipFiles() throws Exception {
    byte[] text = "one\r\ntwo é\n\nthree 中".getBytes(StandardCharsets.UTF_8);
    Path txt = Files.write(dir.resolve("a.txt"), text);
    assertThat(lines(txt)).containsExactly("one", "two é", "", "three 中");
    assertThat(TextFiles.forEachLine(txt, l -> { })).isEqualTo(text.length);
    Path gz = gzip("a.txt.gz", text);
    assertThat(lines(gz)).containsExactly("one", "two é", "", "three 中");
    assertThat(TextFiles.forEachLine(gz, l -> { })).isEqualTo(text.length);
  }

  @Test
  void longLinesAndCharactersAcrossBufferBoundariesSurvive() throws Exception {
    // 3-byte characters from offset 65535 straddle the 64 KiB read buffer; one line of 300,000 bytes
    String line = "a".repeat(65_535) + "€".repeat(78_155);
    Path file = Files.writeString(dir.resolve("long.txt"), line + "\nend\n");
    assertThat(lines(file)).containsExactly(line, "end");
  }

  @Test
  void invalidUtf8IsAnErrorNamingTheFileAndByteOffset() throws Exception {
    byte[] bad = {'o', 'k', '\n', 'a', 'b', (byte) 0xC3, '(', '\n'};
    Path file = Files.write(dir.resolve("latin.txt"), bad);
    assertThatThrownBy(() -> lines(file))
        .isInstanceOf(JbertException.class)
        .hasMessage(file + " is not UTF-8 text: invalid byte 0xC3 at byte offset 5: pass UTF-8 text files"
            + " (convert with iconv -t UTF-8)");
    byte[] far = new byte[100_001];
    Arrays.fill(far, (byte) 'x');
    far[100_000] = (byte) 0xFF;
    Path farFile = Files.write(dir.resolve("far.txt"), far);
    assertThatThrownBy(() -> lines(farFile)).hasMessageContaining("invalid byte 0xFF at byte offset 100000:");
    Path gz = gzip("bad.gz", bad);
    assertThatThrownBy(() -> lines(gz)).hasMessageContaining("at byte offset 5 of the decompressed text");
    byte[] cut = "ab\u00E9".getBytes(StandardCharsets.UTF_8);
    Path truncated = Files.write(dir.resolve("cut.txt"), Arrays.copyOf(cut, cut.length - 1));
    assertThatThrownBy(() -> lines(truncated)).hasMessageContaining("invalid byte 0xC3 at byte offset 2");
  }

  @Test
  void aNulByteMeansABinaryFile() throws Exception {
    Path file = Files.write(dir.resolve("x.bin"), new byte[] {'P', 'K', 3, 4, 0, 0});
    assertThatThrownBy(() -> lines(file))
        .isInstanceOf(JbertException.class)
        .hasMessage(file + " looks binary: a NUL byte at byte offset 4: pass UTF-8 text files");
  }

  @Test
  void aBrokenGzipIsAnError() throws Exception {
    Path notGzip = Files.writeString(dir.resolve("plain.gz"), "not compressed");
    assertThatThrownBy(() -> lines(notGzip)).isInstanceOf(JbertException.class)
        .hasMessageContaining("is not a complete gzip file");
    byte[] whole = Files.readAllBytes(gzip("whole.gz", "x".repeat(1000).getBytes(StandardCharsets.UTF_8)));
    Path cut = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(whole, whole.length / 2));
    assertThatThrownBy(() -> lines(cut)).isInstanceOf(JbertException.class)
        .hasMessageContaining("is not a complete gzip file");
  }

  @Test
  void foldersGiveTheirTextAndGzipFilesAtAllLevelsInPathOrder() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("corpus/sub"));
    Files.writeString(dir.resolve("corpus/b.txt"), "b");
    Files.writeString(dir.resolve("corpus/a.TXT"), "a");
    Files.writeString(dir.resolve("corpus/notes.md"), "skip");
    Files.writeString(dir.resolve("corpus/.hidden.txt"), "skip");
    gzip("corpus/sub/c.gz", "c".getBytes(StandardCharsets.UTF_8));
    Path single = Files.writeString(dir.resolve("single.text"), "s");
    List<Path> files = TextFiles.expand(List.of(single, dir.resolve("corpus")));
    assertThat(files).containsExactly(single, dir.resolve("corpus/a.TXT"), dir.resolve("corpus/b.txt"),
        folder.resolve("c.gz"));
  }

  @Test
  void globsMatchWithinANameOrAcrossFoldersInPathOrder() throws Exception {
    Files.createDirectories(dir.resolve("g/x/y"));
    for (String name : List.of("g/b.txt", "g/a.txt", "g/a.md", "g/x/c.txt", "g/x/y/d.txt")) {
      Files.writeString(dir.resolve(name), name);
    }
    assertThat(TextFiles.expand(List.of(dir.resolve("g/*.txt"))))
        .containsExactly(dir.resolve("g/a.txt"), dir.resolve("g/b.txt"));
    assertThat(TextFiles.expand(List.of(dir.resolve("g/**.txt"))))
        .containsExactly(dir.resolve("g/a.txt"), dir.resolve("g/b.txt"), dir.resolve("g/x/c.txt"),
            dir.resolve("g/x/y/d.txt"));
    assertThat(TextFiles.expand(List.of(dir.resolve("g/a.{md,txt}"))))
        .containsExactly(dir.resolve("g/a.md"), dir.resolve("g/a.txt"));
    assertThatThrownBy(() -> TextFiles.expand(List.of(dir.resolve("g/*.csv")))).isInstanceOf(JbertException.class)
        .hasMessage("no file matches " + dir.resolve("g/*.csv") + ": pass files, folders or a glob that matches some");
  }

  @Test
  void aMissingPathOrAFolderWithoutTextIsAnError() throws Exception {
    assertThatThrownBy(() -> TextFiles.expand(List.of(dir.resolve("nope"))))
        .isInstanceOf(JbertException.class).hasMessage("no such file or folder: " + dir.resolve("nope"));
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Files.writeString(empty.resolve("readme.md"), "x");
    assertThatThrownBy(() -> TextFiles.expand(List.of(empty)))
        .isInstanceOf(JbertException.class).hasMessageContaining("holds no .txt or .gz file");
  }

  @Test
  void aWikiText2ZipGivesItsTrainingLines() {
    Path zip = TestData.sharedZip();
    List<String> lines = lines(zip);
    assertThat(lines).isEqualTo(Corpus.open(zip).trainLines());
    assertThat(lines.size()).isGreaterThan(36_000);
  }
}
