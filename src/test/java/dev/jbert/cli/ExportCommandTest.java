package dev.jbert.cli;

import static dev.jbert.cli.CliRun.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.Json;
import dev.jbert.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pretrain --preset bert-tiny, export --format hf, and the exported folder used as a --model. */
class ExportCommandTest {

  @Test
  void aBertTinyRunExportsToAHuggingFaceFolderThatEncodesAsTheRunDoes(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    CliRun r = CliRun.run("pretrain", "--data", TestData.sharedZip().toString(), "--preset", "bert-tiny", "--steps",
        "2", "--batch-size", "16", "--devices", "cpu", "--eval-every", "0", "--out", run.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode config = Json.mapper().readTree(run.resolve("config.json").toFile());
    assertThat(config.at("/model/arch").asText()).isEqualTo("bert");
    assertThat(config.at("/model/max_positions").asInt()).isEqualTo(512);
    assertThat(config.at("/train/optimizer").asText()).isEqualTo("adamw");
    assertThat(config.at("/train/schedule").asText()).isEqualTo("linear");
    assertThat(config.at("/train/clip_grad_norm").asDouble()).isEqualTo(1.0);

    Path hf = tmp.resolve("hf");
    CliRun export = CliRun.run("export", run.toString(), "--format", "hf", "--out", hf.toString());
    assertThat(export.code()).as(export.err()).isZero();
    assertThat(hf.toFile().list()).containsExactlyInAnyOrder("config.json", "model.safetensors", "vocab.txt",
        "tokenizer_config.json", "special_tokens_map.json");
    JsonNode hfConfig = Json.mapper().readTree(hf.resolve("config.json").toFile());
    assertThat(hfConfig.at("/model_type").asText()).isEqualTo("bert");
    assertThat(hfConfig.at("/hidden_size").asInt()).isEqualTo(128);
    assertThat(hfConfig.at("/pad_token_id").asInt()).isEqualTo(1); // d2l's <pad>
    assertThat(Json.mapper().readTree(hf.resolve("tokenizer_config.json").toFile()).at("/model_max_length").asInt())
        .isEqualTo(64); // the run's max_len

    // the exported folder is a --model: the same vectors and probabilities as the run folder, to the last digit
    for (String[] command : new String[][] {
        {"encode", "a crane driver came", "--pair", "he just left", "--json"},
        {"next-sentence", "a crane driver came", "he just left", "--json"},
        {"fill-mask", "the game was released in <mask>", "--json"}}) {
      CliRun fromRun = CliRun.run(with(command, run));
      CliRun fromHf = CliRun.run(with(command, hf));
      assertThat(fromRun.code()).as(fromRun.err()).isZero();
      assertThat(fromHf.out()).as(command[0]).isEqualTo(fromRun.out());
    }
    assertOneLineError(CliRun.run("export", run.toString(), "--out", run.toString()),
        "holds a jbert model (its config.json would be overwritten)");
  }

  @Test
  void aCasedWordPieceRunExportsItsCasingAndTokenizerJson(@TempDir Path tmp) throws Exception {
    Path texts = PretrainWordPieceTest.corpus(tmp.resolve("texts"));
    Path vocab = tmp.resolve("vocab");
    assertThat(CliRun.run("vocab", "--data", texts.toString(), "--size", "60", "--cased", "--out", vocab.toString())
        .code()).isZero();
    Path run = tmp.resolve("run");
    CliRun r = CliRun.run("pretrain", "--data", texts.toString(), "--tokenizer", "wordpiece", "--vocab",
        vocab.toString(), "--arch", "bert", "--layers", "1", "--hidden", "16", "--heads", "2", "--ffn-hidden", "32",
        "--steps", "1", "--batch-size", "8", "--devices", "cpu", "--eval-every", "0", "--out", run.toString());
    assertThat(r.code()).as(r.err()).isZero();
    Path hf = tmp.resolve("hf");
    CliRun export = CliRun.run("export", run.toString(), "--out", hf.toString());
    assertThat(export.out()).isEqualTo("wrote " + hf + " (BertForPreTraining: config.json, model.safetensors,"
        + " vocab.txt, tokenizer_config.json, special_tokens_map.json, tokenizer.json)\n");
    assertThat(Json.mapper().readTree(hf.resolve("tokenizer_config.json").toFile()).at("/do_lower_case")
        .asBoolean(true)).isFalse();
    assertThat(Files.readString(hf.resolve("tokenizer.json"))).isEqualTo(Files.readString(run.resolve("tokenizer.json")));
    CliRun fromRun = CliRun.run("encode", "The Cat played", "--model", run.toString(), "--json");
    assertThat(CliRun.run("encode", "The Cat played", "--model", hf.toString(), "--json").out())
        .isEqualTo(fromRun.out());
  }

  private static String[] with(String[] command, Path model) {
    String[] all = java.util.Arrays.copyOf(command, command.length + 2);
    all[command.length] = "--model";
    all[command.length + 1] = model.toString();
    return all;
  }

  @Test
  void aD2lRunIsRefusedWithWhyAndWhatToUse(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    CliRun r = CliRun.run("pretrain", "--data", TestData.sharedZip().toString(), "--steps", "1", "--batch-size", "8",
        "--devices", "cpu", "--eval-every", "0", "--out", run.toString());
    assertThat(r.code()).as(r.err()).isZero();
    Path out = tmp.resolve("hf");
    assertOneLineError(CliRun.run("export", run.toString(), "--format", "hf", "--out", out.toString()),
        "d2l's network has no embedding LayerNorm");
    assertThat(CliRun.run("export", run.toString(), "--out", out.toString()).err()).contains("--arch bert");
    assertThat(out).doesNotExist();
    assertOneLineError(CliRun.run("export", run.toString(), "--format", "onnx", "--out", out.toString()),
        "unknown --format 'onnx'; use hf");
  }
}
