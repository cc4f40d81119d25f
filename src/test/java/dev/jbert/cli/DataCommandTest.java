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
  void jsonHasExactlyTheFourteenKeysWithTheStatistics() throws Exception {
    CliRun r = run("data", "--data", tinyCorpus().toString(), "--max-len", "7", "--seed", "3", "--json");
    assertThat(r.code()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out());
    List<String> keys = new ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactly("format", "documents", "sentences", "tokens", "unknown_share", "examples",
        "mean_valid_len", "mean_mlm_preds", "is_next_fraction", "vocab_size", "vocab_head", "valid_documents",
        "valid_examples", "seconds");
    assertThat(json.get("format").asText()).isEqualTo("wikitext");
    assertThat(json.get("vocab_size").asInt()).isEqualTo(5); // min_freq 5: nothing beyond the reserved tokens
    assertThat(json.get("documents").asInt()).isEqualTo(2);
    assertThat(json.get("tokens").asInt()).isEqualTo(10);
    assertThat(json.get("unknown_share").asDouble()).isEqualTo(1.0);
    assertThat(json.get("valid_examples").asInt()).isZero(); // no wiki.valid.tokens
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
    assertThat(r.out()).contains("max_len 64, max_preds 10, min_freq 5, seed 0, mask rate 0.15, split 0.8/0.1/0.1\n")
        .contains("format            wikitext (detected: WikiText-2's layout)\n").contains("documents         2")
        .contains("examples          3").contains("example 0:\ntokens: <cls> ");
  }

  @Test
  void buildsTheSharedWikiText2WithD2lsVocabularySize() throws Exception {
    CliRun r = run("data", "--data", TestData.sharedZip().toString(), "--json");
    assertThat(r.code()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertThat(json.get("vocab_size").asInt()).isEqualTo(20256);
    assertThat(json.get("documents").asInt()).isEqualTo(15496);
    assertThat(json.get("sentences").asInt()).isEqualTo(74631);
    assertThat(json.get("tokens").asLong()).isEqualTo(1_926_792L);
    assertThat(json.get("examples").asInt()).isEqualTo(43614);
    assertThat(json.get("valid_examples").asInt()).isEqualTo(4624); // what pretrain evaluates
    assertThat(json.get("is_next_fraction").asDouble()).isBetween(0.5, 0.52);
  }

  /** 40 documents of 3 sentences "the cat sat on the mat number N ." over 10 words. */
  private Path documentsCorpus() throws IOException {
    StringBuilder text = new StringBuilder();
    for (int d = 0; d < 40; d++) {
      for (int s = 0; s < 3; s++) {
        text.append("the cat sat on the mat number ").append(s).append(" .\n");
      }
      text.append("\n");
    }
    return Files.writeString(dir.resolve("docs.txt"), text);
  }

  @Test
  void documentsGetTheirFormatDetectedAndEveryStatisticWithAHeldOutShare() throws Exception {
    CliRun r = run("data", "--data", documentsCorpus().toString(), "--valid-share", "0.1", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertThat(json.get("format").asText()).isEqualTo("documents");
    assertThat(json.get("documents").asInt()).isEqualTo(36); // every 10th of 40 held out
    assertThat(json.get("sentences").asInt()).isEqualTo(108);
    assertThat(json.get("tokens").asInt()).isEqualTo(108 * 9);
    assertThat(json.get("unknown_share").asDouble()).isZero(); // every word occurs 36 times or more
    assertThat(json.get("examples").asInt()).isEqualTo(72); // 2 pairs per document, 9 + 9 + 3 = 21 tokens each
    assertThat(json.get("mean_valid_len").asDouble()).isEqualTo(21.0);
    assertThat(json.get("mean_mlm_preds").asDouble()).isEqualTo(3.0); // round(21 * 0.15)
    assertThat(json.get("vocab_size").asInt()).isEqualTo(5 + 10); // the cat sat on mat number 0 1 2 .
    assertThat(json.get("valid_documents").asInt()).isEqualTo(4);
    assertThat(json.get("valid_examples").asInt()).isEqualTo(8);

    CliRun table = run("data", "--data", documentsCorpus().toString(), "--mask-rate", "0.3", "--mask-split",
        "0.5,0.25,0.25", "--whole-word-masking");
    assertThat(table.out()).contains("format            documents (detected: 100% of the first 120 lines hold one"
        + " sentence)\n").contains("max_len 64, max_preds 19, min_freq 5, seed 0, mask rate 0.3, split"
        + " 0.5/0.25/0.25, whole words\n").contains("mean_mlm_preds    6.0000"); // round(21 * 0.3)
  }

  @Test
  void badCorporaAndOptionsAreOneLineErrorsWithExitCode2() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
    assertOneLineError(run("data", "--data", empty.toString()), "is empty: no line holds a word");
    Path binary = Files.write(dir.resolve("model.bin.txt"), new byte[] {1, 2, 0, 3});
    assertOneLineError(run("data", "--data", binary.toString()), "looks binary: a NUL byte at byte offset 2");
    Path singles = Files.writeString(dir.resolve("singles.txt"), "one\n\ntwo\n\nthree\n");
    assertOneLineError(run("data", "--data", singles.toString(), "--format", "documents"),
        "the corpus gives no sentence pair: each of its 3 documents has one sentence");
    assertOneLineError(run("data", "--data", singles.toString(), "--format", "csv"), "unknown --format 'csv'");
    assertOneLineError(run("data", "--data", documentsCorpus().toString(), "--mask-split", "0.9,0.1,0.1"),
        "--mask-split must add up to 1");
    assertOneLineError(run("data", "--data", documentsCorpus().toString(), "--mask-rate", "1.5"),
        "--mask-rate must lie in (0, 1]");
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
  void wordPieceStatisticsCountPiecesOfAVocabularyTrainedOnTheText(@TempDir Path tmp) throws Exception {
    Path texts = PretrainWordPieceTest.corpus(tmp.resolve("texts"));
    JsonNode words = new ObjectMapper().readTree(run("data", "--data", texts.toString(), "--json").out());
    CliRun r = run("data", "--data", texts.toString(), "--tokenizer", "wordpiece", "--vocab-size", "80", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode pieces = new ObjectMapper().readTree(r.out());
    assertThat(pieces.get("vocab_size").asInt()).isEqualTo(80);
    assertThat(pieces.at("/vocab_head/0").asText()).isEqualTo("[PAD]");
    // 80 tokens cannot hold the 24 words whole: more pieces than words, over the same sentences
    assertThat(pieces.get("sentences").asInt()).isEqualTo(words.get("sentences").asInt());
    assertThat(pieces.get("tokens").asLong()).isGreaterThan(words.get("tokens").asLong());
  }

  @Test
  void rootHelpListsTheDataCommand() {
    CliRun r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("data").contains("Build the pretraining examples");
  }
}
