package dev.jbert.cli;

import static dev.jbert.cli.CliRun.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.Json;
import dev.jbert.TestData;
import dev.jbert.data.Vocab;
import dev.jbert.model.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short pretraining run on the shared WikiText-2 zip, through the command line, checking every file it writes. */
class PretrainCommandTest {

  @Test
  void aShortRunOnWikiText2WritesACompleteRunFolder(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    CliRun r = pretrain("--data", TestData.sharedZip().toString(), "--steps", "2", "--batch-size", "32", "--devices",
        "cpu", "--out", run.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("MLM loss \\d+\\.\\d{3}, NSP loss \\d+\\.\\d{3}")
        .containsPattern("(?m)^[\\d.]+ sentence pairs/sec on \\[cpu\\]$"); // libtorch's device names: cpu, cuda:0

    JsonNode config = Json.mapper().readTree(run.resolve("config.json").toFile());
    assertThat(config.at("/model/vocab_size").asInt()).isEqualTo(20256);
    assertThat(config.at("/model/hidden").asInt()).isEqualTo(128);
    assertThat(config.at("/data/max_len").asInt()).isEqualTo(64);
    assertThat(config.at("/data/dynamic_masking").asBoolean(true)).isFalse(); // d2l's static masks
    assertThat(config.at("/train/batch_size").asInt()).isEqualTo(32);
    assertThat(config.at("/train/lr").asDouble()).isCloseTo(3e-3, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(config.at("/data_sha256").asText()).hasSize(64);
    assertThat(config.at("/jbert_version").asText()).isNotBlank();

    assertThat(Vocab.load(run.resolve("vocab.txt")).size()).isEqualTo(20256);
    assertThat(SafeTensors.readMetadata(run.resolve("checkpoint.safetensors"))).containsEntry("step", "2");
    assertThat(Files.readAllLines(run.resolve("metrics.csv")))
        .hasSize(3).first().isEqualTo("step,mlm_loss,nsp_loss,lr,pairs_per_s,elapsed_s");
    byte[] png = Files.readAllBytes(run.resolve("loss.png"));
    assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
    assertThat(Files.readString(run.resolve("loss.svg"))).contains("<svg");

    JsonNode summary = Json.mapper().readTree(run.resolve("summary.json").toFile());
    List<String> keys = new ArrayList<>();
    summary.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactlyInAnyOrder("mlm_loss", "nsp_loss", "pairs_per_s", "steps", "seconds", "devices",
        "params", "val_mlm_loss", "val_mlm_accuracy", "val_perplexity", "val_nsp_accuracy");
    assertThat(summary.get("params").asLong()).isEqualTo(5_632_546L);
    assertThat(summary.get("steps").asInt()).isEqualTo(2);
    // an untrained model is close to uniform over 20256 tokens: ln(20256) = 9.9
    assertThat(summary.get("val_mlm_loss").asDouble()).isBetween(5.0, 20.0);
    assertThat(summary.get("val_nsp_accuracy").asDouble()).isBetween(0.3, 0.7);

    try (var files = Files.list(run)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("config.json", "vocab.txt",
          "model.safetensors", "metrics.csv", "loss.png", "loss.svg", "checkpoint.safetensors", "summary.json");
    }
  }

  @Test
  void startingANewRunInAnOccupiedFolderIsRefused(@TempDir Path run) throws Exception {
    Files.writeString(run.resolve("config.json"), "{}");
    assertOneLineError(pretrain("--data", TestData.sharedZip().toString(), "--out", run.toString()),
        "error: the folder " + run + " already holds a run");
  }

  @Test
  void badTrainingFlagsGetOneLineErrors() {
    assertOneLineError(pretrain("--data", TestData.sharedZip().toString(), "--heads", "3", "--out",
        "/nonexistent-never-written"), "hidden (128) is not divisible by heads (3)");
    assertOneLineError(pretrain("--data", TestData.sharedZip().toString(), "--max-len", "2000", "--out",
        "/nonexistent-never-written"), "--max-len 2000 is more than the model's 1000 positions");
    assertThat(java.nio.file.Path.of("/nonexistent-never-written")).doesNotExist();
  }

  private static CliRun pretrain(String... args) {
    List<String> all = new ArrayList<>(List.of("pretrain"));
    all.addAll(List.of(args));
    return CliRun.run(all.toArray(String[]::new));
  }

  @Test
  void resumeChecksTheDataTheVocabularyAndTheStepsAndRecordsWhatItChanged(@TempDir Path tmp) throws Exception {
    String zip = TestData.sharedZip().toString();
    Path run = tmp.resolve("run");
    CliRun first = pretrain("--data", zip, "--steps", "2", "--batch-size", "16", "--eval-every", "0", "--out",
        run.toString());
    assertThat(first.code()).as(first.err()).isZero();

    // a finished run without --steps, and --steps that are not more than done
    assertOneLineError(pretrain("--data", zip, "--resume", run.toString()),
        "has done all its 2 steps: pass --steps N with N more than 2 to train it further");
    assertOneLineError(pretrain("--data", zip, "--resume", run.toString(), "--steps", "2"),
        "--steps 2 is not more than the 2 steps the run in " + run + " has done");
    // settings that belong to the run
    assertOneLineError(pretrain("--data", zip, "--resume", run.toString(), "--steps", "3", "--lr", "1e-4",
        "--max-len", "32", "--masking", "dynamic"), "--lr, --max-len, --masking cannot change when a run is resumed");
    // other training text
    Path other = tmp.resolve("other");
    Files.createDirectories(other);
    Files.writeString(other.resolve("wiki.train.tokens"), " a b . c d . e f \n".repeat(50));
    assertOneLineError(pretrain("--data", other.toString(), "--resume", run.toString(), "--steps", "3"),
        "the training text differs from the one run " + run + " was started on");
    // a vocabulary that does not belong to this text
    Path vocab = run.resolve("vocab.txt");
    String saved = Files.readString(vocab);
    Files.writeString(vocab, saved.replaceFirst("\nthe\n", "\nzzz\n"));
    assertOneLineError(pretrain("--data", zip, "--resume", run.toString(), "--steps", "3"),
        "the vocabulary built from the data differs from " + vocab);
    Files.writeString(vocab, saved);

    CliRun more = pretrain("--data", zip, "--resume", run.toString(), "--steps", "4", "--micro-batches", "4");
    assertThat(more.code()).as(more.err()).isZero();
    JsonNode config = Json.mapper().readTree(run.resolve("config.json").toFile());
    assertThat(config.at("/train/steps").asInt()).isEqualTo(4);
    assertThat(config.at("/train/micro_batches").asInt()).isEqualTo(4);
    assertThat(config.at("/resumes/0/at_step").asInt()).isEqualTo(2);
    assertThat(config.at("/resumes/0/changed/steps").asText()).isEqualTo("2 -> 4");
    assertThat(config.at("/resumes/0/changed/micro_batches").asText()).isEqualTo("8 -> 4");
    assertThat(Files.readAllLines(run.resolve("metrics.csv"))).hasSize(5);
    assertThat(SafeTensors.readMetadata(run.resolve("checkpoint.safetensors"))).containsEntry("step", "4");
  }

  @Test
  void presetsCarryTheLearningRateAndWarmupOfTheirRecipe() {
    assertThat(dev.jbert.train.Preset.named("d2l").lr()).isEqualTo(3e-3f);
    assertThat(dev.jbert.train.Preset.named("d2l").warmupSteps(1000)).isZero();
    // BERT (Devlin et al. 2019, A.2): lr 1e-4, warmup over the first 10,000 of 1,000,000 steps
    assertThat(dev.jbert.train.Preset.named("base").lr()).isEqualTo(1e-4f);
    assertThat(dev.jbert.train.Preset.named("base").warmupSteps(1_000_000)).isEqualTo(10_000);
    assertThat(dev.jbert.train.Preset.named("large").lr()).isEqualTo(1e-4f);
    assertThat(dev.jbert.train.Preset.named("large").warmupSteps(50)).isEqualTo(1);
    assertOneLineError(pretrain("--data", TestData.sharedZip().toString(), "--preset", "huge", "--out", "/nonexistent"),
        "unknown model preset 'huge'; use one of d2l, base, large, bert-tiny, bert-mini, bert-small, bert-medium,"
            + " bert-base, bert-large");
  }

  /** 40 documents of 3 sentences over 10 words, one sentence per line. */
  private static Path documentsCorpus(Path dir) throws Exception {
    StringBuilder text = new StringBuilder();
    for (int d = 0; d < 40; d++) {
      for (int s = 0; s < 3; s++) {
        text.append("the cat sat on the mat number ").append(s).append(" .\n");
      }
      text.append("\n");
    }
    Files.createDirectories(dir);
    return Files.writeString(dir.resolve("docs.txt"), text);
  }

  private static final String[] TINY = {"--steps", "2", "--batch-size", "8", "--layers", "1", "--hidden", "16",
      "--heads", "2", "--ffn-hidden", "32", "--devices", "cpu"};

  private static CliRun pretrain(List<String> args, String... more) {
    List<String> all = new ArrayList<>(args);
    all.addAll(List.of(more));
    return pretrain(all.toArray(String[]::new));
  }

  @Test
  void aRunOnOwnDocumentsRecordsItsCorpusAndMaskingAndResumesWithoutData(@TempDir Path tmp) throws Exception {
    Path docs = documentsCorpus(tmp.resolve("texts"));
    Path run = tmp.resolve("run");
    CliRun r = pretrain(List.of(TINY), "--data", docs.toString(), "--valid-share", "0.1", "--mask-rate", "0.2",
        "--mask-split", "0.7,0.2,0.1", "--whole-word-masking", "--out", run.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).startsWith("corpus: " + docs.toAbsolutePath() + ", format documents (detected: 100% of the"
        + " first 120 lines hold one sentence)\n").contains("data: 72 training pairs, 8 validation pairs,"
        + " vocabulary 15");
    assertThat(r.out()).contains("validation: MLM loss");
    JsonNode config = Json.mapper().readTree(run.resolve("config.json").toFile());
    assertThat(config.at("/corpus/paths/0").asText()).isEqualTo(docs.toAbsolutePath().toString());
    assertThat(config.at("/corpus/format").asText()).isEqualTo("documents");
    assertThat(config.at("/corpus/valid_share").asDouble()).isEqualTo(0.1);
    assertThat(config.at("/data/masking/rate").asDouble()).isEqualTo(0.2);
    assertThat(config.at("/data/masking/mask").asDouble()).isEqualTo(0.7);
    assertThat(config.at("/data/masking/keep").asDouble()).isEqualTo(0.2);
    assertThat(config.at("/data/masking/whole_word").asBoolean()).isTrue();
    assertThat(config.at("/data_sha256").asText()).isEqualTo(dev.jbert.data.PretrainingCorpus.open(
        dev.jbert.data.CorpusSpec.of(docs)).trainSha256());

    // what belongs to the run cannot change, and is refused before anything is read
    assertOneLineError(pretrain("--resume", run.toString(), "--steps", "3", "--mask-rate", "0.15", "--format",
        "text", "--whole-word-masking"), "--mask-rate, --whole-word-masking, --format cannot change when a run is"
        + " resumed");
    assertOneLineError(pretrain("--resume", run.toString(), "--steps", "3", "--valid-share", "0.2"),
        "--valid-share cannot change");

    CliRun resumed = pretrain("--resume", run.toString(), "--steps", "3", "--eval-every", "0");
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.err()).startsWith("corpus: " + docs.toAbsolutePath() + ", format documents\n");

    // the same text moved: --data finds it, config.json records the move
    Path moved = documentsCorpus(tmp.resolve("moved"));
    CliRun again = pretrain("--resume", run.toString(), "--steps", "4", "--eval-every", "0", "--data",
        moved.toString());
    assertThat(again.code()).as(again.err()).isZero();
    config = Json.mapper().readTree(run.resolve("config.json").toFile());
    assertThat(config.at("/corpus/paths/0").asText()).isEqualTo(moved.toAbsolutePath().toString());
    assertThat(config.at("/resumes/1/changed/data").asText())
        .isEqualTo(docs.toAbsolutePath() + " -> " + moved.toAbsolutePath());
    assertThat(config.at("/corpus/format").asText()).isEqualTo("documents");
    assertThat(Files.readAllLines(run.resolve("metrics.csv"))).hasSize(5);
  }

  @Test
  void badCorporaStopARunBeforeItsFolderIsWritten(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    Path empty = Files.writeString(tmp.resolve("empty.txt"), " \n");
    assertOneLineError(pretrain(List.of(TINY), "--data", empty.toString(), "--out", run.toString()),
        "is empty: no line holds a word");
    Path singles = Files.writeString(tmp.resolve("singles.txt"), "a b\n\nc d\n");
    assertOneLineError(pretrain(List.of(TINY), "--data", singles.toString(), "--out", run.toString()),
        "the corpus gives no sentence pair");
    assertOneLineError(pretrain(List.of(TINY), "--data", singles.toString(), "--format", "xml", "--out",
        run.toString()), "unknown --format 'xml'");
    assertThat(run).doesNotExist();
  }
}
