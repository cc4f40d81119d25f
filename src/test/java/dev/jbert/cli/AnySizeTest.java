package dev.jbert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbert.ChildJvm;
import dev.jbert.TestData;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of a corpus larger than the heap: the text is streamed, its tokens and examples go to the cache, so a
 * heap a fraction of the text's size suffices (tools/any-size measures 52 x WikiText-2 in 512 MB).
 */
class AnySizeTest {
  private static final int COPIES = 4;

  @Test
  void fourWikiText2sBuildInA40MbHeapAndASecondRunReusesTheCache(@TempDir Path dir) throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    long bytes = repeatTrainingText(corpus.resolve("wiki.train.tokens"), COPIES);
    assertThat(bytes).isEqualTo(COPIES * 10_827_302L); // 43 MB of text
    // the heap's limit is below the text's size: the old in-memory build held the text, its lines and its tokens
    List<String> jvm = List.of("-Xmx40m", "-XX:+UseSerialGC");
    String[] args = {"data", "--data", corpus.toString(), "--cache", dir.resolve("cache").toString(), "--json"};

    ChildJvm.Result built = ChildJvm.run(JbertCli.class, jvm, dir, Map.of(), 300, args);
    assertThat(built.exitCode()).as(built.stderr()).isZero();
    assertThat(built.stderr()).contains("examples: built and cached in " + dir.resolve("cache"));
    JsonNode stats = new ObjectMapper().readTree(built.stdout());
    assertThat(stats.get("tokens").asLong()).isEqualTo(COPIES * 1_926_792L); // WikiText-2's tokens, 4 times
    assertThat(stats.get("documents").asInt()).isEqualTo(COPIES * 15496);
    assertThat(stats.get("vocab_size").asInt()).isEqualTo(28842); // a word seen twice per copy reaches min_freq 5

    ChildJvm.Result reused = ChildJvm.run(JbertCli.class, jvm, dir, Map.of(), 300, args);
    assertThat(reused.exitCode()).as(reused.stderr()).isZero();
    assertThat(reused.stderr()).contains("examples: reused ");
    JsonNode again = new ObjectMapper().readTree(reused.stdout());
    assertThat(again.get("examples")).isEqualTo(stats.get("examples"));
    assertThat(again.get("mean_mlm_preds")).isEqualTo(stats.get("mean_mlm_preds"));
  }

  /**
   * One text file of 43 MB, read as prose in a 40 MB heap: its lines are split into documents as they come. The
   * statistics are those the file gave when it was read whole into a 3 GB heap (jbert at 167725e, {@code data --format
   * text --cache none}).
   */
  @Test
  void oneTextFileLargerThanTheHeapIsReadALineAtATime(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("notes.txt"); // prose: WikiText-2's lines as blank-line separated paragraphs
    assertThat(repeatTrainingText(file, COPIES)).isEqualTo(COPIES * 10_827_302L);
    ChildJvm.Result built = ChildJvm.run(JbertCli.class, List.of("-Xmx40m", "-XX:+UseSerialGC"), dir, Map.of(), 300,
        "data", "--data", file.toString(), "--format", "text", "--cache", dir.resolve("cache").toString(), "--json");
    assertThat(built.exitCode()).as(built.stderr()).isZero();
    JsonNode stats = new ObjectMapper().readTree(built.stdout());
    assertThat(stats.get("documents").asInt()).isEqualTo(46167);
    assertThat(stats.get("valid_documents").asInt()).isEqualTo(466);
    assertThat(stats.get("sentences").asInt()).isEqualTo(316955);
    assertThat(stats.get("tokens").asLong()).isEqualTo(8135809);
    assertThat(stats.get("examples").asInt()).isEqualTo(207446);
    assertThat(stats.get("vocab_size").asInt()).isEqualTo(28917);
  }

  /** WikiText-2's training file {@code copies} times over, as one file; its size. */
  static long repeatTrainingText(Path target, int copies) throws IOException {
    try (ZipFile zip = new ZipFile(TestData.sharedZip().toFile());
        OutputStream out = Files.newOutputStream(target)) {
      for (int c = 0; c < copies; c++) {
        try (InputStream in = zip.getInputStream(zip.getEntry("wikitext-2/wiki.train.tokens"))) {
          in.transferTo(out);
        }
      }
    }
    return Files.size(target);
  }
}
