package dev.jbert.cli;

import static dev.jbert.cli.CliRun.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.HubFolders;
import dev.jbert.Json;
import dev.jbert.encode.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pretrain --init}: continue pretraining a Hugging Face BERT folder laid out as the published ones
 * ({@code tools/make_golden_hub_bert.py}: Google's vocabulary with [UNK]=100, LayerNorm gamma/beta) on your own text.
 */
class PretrainInitTest {
  private static final String[] SMALL = {"--batch-size", "8", "--max-len", "32", "--devices", "cpu",
      "--eval-every", "0"};

  /** 30 paragraphs of prose over the folder's words, blank-line separated, as a user's text file. */
  static Path corpus(Path dir) throws Exception {
    String[] sentences = {"The crane flew over the river.", "A crane driver lifted steel at dawn!",
        "Birds flying high above the water.", "It was a tower at dawn.", "The bird flew over the water.",
        "A driver was lifting steel.", "It was high above the river?", "The birds flew at dawn."};
    Random r = new Random(3);
    StringBuilder text = new StringBuilder();
    for (int p = 0; p < 30; p++) {
      for (int s = 0; s < 4; s++) {
        text.append(s == 0 ? "" : " ").append(sentences[r.nextInt(sentences.length)]);
      }
      text.append("\n\n");
    }
    Files.createDirectories(dir);
    return Files.writeString(dir.resolve("notes.txt"), text);
  }

  private static CliRun pretrain(String... args) {
    List<String> all = new ArrayList<>(List.of("pretrain"));
    all.addAll(List.of(SMALL));
    all.addAll(List.of(args));
    return CliRun.run(all.toArray(String[]::new));
  }

  @Test
  void aHubFolderIsContinuedWithItsArchitectureVocabularyAndWeights(@TempDir Path tmp) throws Exception {
    Path texts = corpus(tmp.resolve("texts"));
    Path run = tmp.resolve("run");
    // lr 1e-30: a step moves no weight by a float32 ulp, so the run holds exactly the folder's weights
    CliRun r = pretrain("--init", HubFolders.hubBert().toString(), "--data", texts.toString(), "--steps", "1", "--lr", "1e-30",
        "--out", run.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("tokenizer: wordpiece, vocabulary " + HubFolders.hubBert())
        .contains("model: the weights of " + HubFolders.hubBert());
    JsonNode config = Json.mapper().readTree(run.resolve("config.json").toFile());
    assertThat(config.at("/model/arch").asText()).isEqualTo("bert");
    assertThat(config.at("/model/vocab_size").asInt()).isEqualTo(138);
    assertThat(config.at("/model/hidden").asInt()).isEqualTo(16);
    assertThat(config.at("/model/max_positions").asInt()).isEqualTo(40);
    assertThat(config.at("/init").asText()).isEqualTo(HubFolders.hubBert().toString());
    assertThat(config.at("/data/tokenizer/kind").asText()).isEqualTo("wordpiece");
    assertThat(config.at("/train/optimizer").asText()).isEqualTo("adamw"); // BERT's recipe, not d2l's
    assertThat(config.at("/train/schedule").asText()).isEqualTo("linear");
    assertThat(Files.readAllLines(run.resolve("vocab.txt"))).isEqualTo(Files.readAllLines(HubFolders.hubBert().resolve("vocab.txt")));

    // the run, and the run exported back to Hugging Face's layout, encode as the folder it started from
    Path hf = tmp.resolve("hf");
    CliRun export = CliRun.run("export", run.toString(), "--out", hf.toString());
    assertThat(export.code()).as(export.err()).isZero();
    for (String[] command : new String[][] {
        {"encode", "A crane driver lifted steel.", "--pair", "The birds flew.", "--json"},
        {"fill-mask", "The crane [MASK] over the river.", "--json"}}) {
      CliRun fromHub = CliRun.run(with(command, HubFolders.hubBert()));
      assertThat(fromHub.code()).as(fromHub.err()).isZero();
      assertThat(CliRun.run(with(command, run)).out()).as(command[0] + " run").isEqualTo(fromHub.out());
      assertThat(CliRun.run(with(command, hf)).out()).as(command[0] + " export").isEqualTo(fromHub.out());
    }
  }

  @Test
  void theContinuedRunLearnsAndResumesFromItsCheckpointWithoutTheFolder(@TempDir Path tmp) throws Exception {
    Path texts = corpus(tmp.resolve("texts"));
    Path run = tmp.resolve("run");
    CliRun r = pretrain("--init", HubFolders.hubBert().toString(), "--data", texts.toString(), "--steps", "2", "--lr", "1e-3",
        "--out", run.toString());
    assertThat(r.code()).as(r.err()).isZero();
    CliRun before = CliRun.run("encode", "The crane flew.", "--model", HubFolders.hubBert().toString(), "--json");
    CliRun after = CliRun.run("encode", "The crane flew.", "--model", run.toString(), "--json");
    assertThat(after.out()).isNotEqualTo(before.out()); // trained: the weights moved
    CliRun resumed = CliRun.run("pretrain", "--resume", run.toString(), "--steps", "3");
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(Files.readAllLines(run.resolve("metrics.csv"))).hasSize(4); // header + 3 steps
    assertOneLineError(CliRun.run("pretrain", "--resume", run.toString(), "--steps", "4", "--init", HubFolders.hubBert().toString()),
        "--init cannot change when a run is resumed");
  }

  @Test
  void anEncoderOnlyCheckpointIsContinuedWithNewHeadsAndSaysSo(@TempDir Path tmp) throws Exception {
    Path encoderOnly = HubFolders.encoderOnly(tmp.resolve("encoder-only"));
    String note = "note: " + encoderOnly + " has no MLM head, NSP head (a checkpoint of the encoder alone): newly"
        + " initialised, so their outputs are untrained; the encoder's vectors are the model's";
    CliRun encode = CliRun.run("encode", "The crane flew.", "--model", encoderOnly.toString());
    assertThat(encode.code()).as(encode.err()).isZero();
    assertThat(encode.err()).isEqualTo(note + "\n");
    CliRun r = pretrain("--init", encoderOnly.toString(), "--data", corpus(tmp.resolve("texts")).toString(),
        "--steps", "1", "--out", tmp.resolve("run").toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains(note);
    assertThat(CliRun.run("encode", "The crane flew.", "--model", tmp.resolve("run").toString()).err()).isEmpty();
  }

  @Test
  void whatDoesNotFitTheInitModelIsOneLineBeforeAnyDataIsRead(@TempDir Path tmp) throws Exception {
    Path texts = corpus(tmp.resolve("texts"));
    String hub = HubFolders.hubBert().toString();
    String data = texts.toString();
    Path out = tmp.resolve("run");
    assertOneLineError(pretrain("--init", hub, "--data", data, "--preset", "bert-mini", "--hidden", "32",
        "--out", out.toString()), "--preset, --hidden cannot be passed with --init");
    assertOneLineError(pretrain("--init", hub, "--data", data, "--tokenizer", "words", "--out", out.toString()),
        "--tokenizer words cannot be passed with --init");
    assertOneLineError(pretrain("--init", tmp.resolve("nope").toString(), "--data", data, "--out", out.toString()),
        "no model folder at");
    assertOneLineError(CliRun.run("pretrain", "--init", hub, "--data", data, "--max-len", "64", "--devices", "cpu",
        "--out", out.toString()), "--max-len 64 is more than the model's 40 positions");
    Path words = TinyModel.write(tmp.resolve("words-run"));
    assertOneLineError(pretrain("--init", words.toString(), "--data", data, "--out", out.toString()),
        "has d2l's word vocabulary");
    assertThat(out).doesNotExist();
  }

  private static String[] with(String[] command, Path model) {
    String[] all = java.util.Arrays.copyOf(command, command.length + 2);
    all[command.length] = "--model";
    all[command.length + 1] = model.toString();
    return all;
  }
}
