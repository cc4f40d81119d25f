package dev.jbert.cli;

import static dev.jbert.cli.CliRun.assertOneLineError;
import static dev.jbert.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbert.TestData;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {
  @TempDir Path dir;

  /** A folder corpus: 2 paragraphs (3 + 2 sentences), tokens a..j once each. */
  private Path tinyCorpus() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("tiny"));
    Files.writeString(folder.resolve("wiki.train.tokens"), " = T = \n\n a b . c d . e f\n g h . i j\n");
    return folder;
  }

  @Test
  void jsonHasExactlyTheNineKeysWithTheStatistics() throws Exception {
    CliRun r = run("data", "--data", tinyCorpus().toString(), "--max-len", "7", "--seed", "3", "--json");
    assertThat(r.code()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out());
    List<String> keys = new ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactly("vocab_size", "paragraphs", "sentences", "examples", "mean_valid_len",
        "mean_mlm_preds", "is_next_fraction", "vocab_head", "seconds");
    assertThat(json.get("vocab_size").asInt()).isEqualTo(5); // min_freq 5: nothing beyond the reserved tokens
    assertThat(json.get("paragraphs").asInt()).isEqualTo(2);
    assertThat(json.get("sentences").asInt()).isEqualTo(5);
    assertThat(json.get("examples").asInt()).isEqualTo(3);
    assertThat(json.get("mean_valid_len").asDouble()).isEqualTo(7.0);
    assertThat(json.get("mean_mlm_preds").asDouble()).isEqualTo(1.0);
    assertThat(json.get("vocab_head").toString()).isEqualTo("[\"<unk>\",\"<pad>\",\"<mask>\",\"<cls>\",\"<sep>\"]");
    assertThat(json.get("seconds").asDouble()).isPositive();
  }

  @Test
  void printsATableByDefaultAndExamplesWithVerbose() throws Exception {
    CliRun r = run("data", "--data", tinyCorpus().toString(), "--verbose");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("max_len 64, max_preds 10, min_freq 5, seed 0")
        .contains("paragraphs        2").contains("examples          3").contains("example 0:\ntokens: <cls> ");
  }

  @Test
  void buildsTheSharedWikiText2WithD2lsVocabularySize() throws Exception {
    CliRun r = run("data", "--data", TestData.sharedZip().toString(), "--json");
    assertThat(r.code()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertThat(json.get("vocab_size").asInt()).isEqualTo(20256);
    assertThat(json.get("paragraphs").asInt()).isEqualTo(15496);
    assertThat(json.get("sentences").asInt()).isEqualTo(74631);
    assertThat(json.get("is_next_fraction").asDouble()).isBetween(0.5, 0.52);
  }

  @Test
  void missingPathIsAOneLineErrorWithExitCode2() {
    assertOneLineError(run("data", "--data", dir.resolve("nope").toString()), "no corpus at");
  }

  @Test
  void zipWithoutTrainTokensIsAOneLineError() throws Exception {
    Path zip = dir.resolve("valid-only.zip");
    try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
      z.putNextEntry(new ZipEntry("wikitext-2/wiki.valid.tokens"));
      z.write(" a . b \n".getBytes(StandardCharsets.UTF_8));
      z.closeEntry();
    }
    assertOneLineError(run("data", "--data", zip.toString()), "holds no wiki.train.tokens");
  }

  @Test
  void emptyCorpusIsAOneLineError() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("empty"));
    Files.writeString(folder.resolve("wiki.train.tokens"), " = Heading = \n\n");
    assertOneLineError(run("data", "--data", folder.toString()), "is empty");
  }

  @Test
  void maxLenBelowFiveIsAOneLineError() throws Exception {
    assertOneLineError(run("data", "--data", tinyCorpus().toString(), "--max-len", "4"),
        "max_len must be at least 5");
  }

  @Test
  void maxLenAboveTheModelsPositionsIsAOneLineErrorBeforeAnyBuilding() throws Exception {
    assertOneLineError(run("data", "--data", tinyCorpus().toString(), "--max-len", "2000"),
        "--max-len 2000 is more than the model's 1000 positions: pass --max-len 1000 or less");
  }

  @Test
  void unknownFlagIsAOneLineError() {
    assertOneLineError(run("data", "--bogus"), "Unknown option: '--bogus'");
  }

  @Test
  void verboseAddsTheStackTraceOfAnError() {
    CliRun r = run("data", "--data", dir.resolve("nope").toString(), "--verbose");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: no corpus at").contains("JbertException").contains("\tat ");
  }

  @Test
  void rootHelpListsTheDataCommand() {
    CliRun r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("data").contains("Build the pretraining examples");
  }
}
