package dev.jbert.train;

import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import dev.jbert.Json;
import dev.jbert.data.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import dev.jbert.model.ModelFiles;
import java.util.Map;

/** The files of a pretraining run. Every file is written under a temporary name and renamed into place. */
public record RunFolder(Path dir) {
  /** The run's settings; a model folder's config.json, with the architecture under "model". */
  public static final String CONFIG = ModelFiles.CONFIG;
  /** The vocabulary, one token per line (what encode reads beside the weights). */
  public static final String VOCAB = "vocab.txt";
  public static final String MODEL = ModelFiles.WEIGHTS;
  public static final String METRICS = "metrics.csv";
  public static final String PLOT_PNG = "loss.png";
  public static final String PLOT_SVG = "loss.svg";
  public static final String CHECKPOINT = "checkpoint.safetensors";
  public static final String SUMMARY = "summary.json";

  /**
   * The tokenizer of the model folder {@code dir}: the one a run folder's config.json names ({@code data.tokenizer.kind});
   * for a folder whose config holds the architecture alone (a Hugging Face folder), the kind of its vocabulary files.
   */
  public static Tokenizer.Kind tokenizerKind(Path dir) {
    com.fasterxml.jackson.databind.JsonNode kind;
    try {
      kind = Json.mapper().readTree(dir.resolve(CONFIG).toFile()).path("data").path("tokenizer").path("kind");
    } catch (IOException e) {
      throw new JbertException("cannot read " + dir.resolve(CONFIG) + ": " + firstLine(e.getMessage()), e);
    }
    return kind.isTextual() ? Tokenizer.Kind.parse(kind.asText()) : Tokenizer.kindOfFiles(dir);
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  public void writeConfig(RunConfig config) {
    writeJson(CONFIG, config);
  }

  public RunConfig readConfig() {
    Path f = file(CONFIG);
    if (!Files.isRegularFile(f)) {
      throw new JbertException("no " + CONFIG + " in " + dir + ": pass a run folder written by ./jbert pretrain");
    }
    try {
      return Json.mapper().readValue(f.toFile(), RunConfig.class);
    } catch (IOException e) {
      throw new JbertException("cannot read " + f + ": " + firstLine(e.getMessage())
          + " (was it written by another jbert version?)", e);
    }
  }

  public void writeSummary(TrainingSummary s) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("mlm_loss", s.mlmLoss());
    json.put("nsp_loss", s.nspLoss());
    json.put("pairs_per_s", s.pairsPerS());
    json.put("steps", s.steps());
    json.put("seconds", s.seconds());
    json.put("devices", s.devices());
    json.put("params", s.params());
    json.put("val_mlm_loss", finiteOrNull(s.valMlmLoss()));
    json.put("val_mlm_accuracy", finiteOrNull(s.valMlmAccuracy()));
    json.put("val_perplexity", finiteOrNull(s.valPerplexity()));
    json.put("val_nsp_accuracy", finiteOrNull(s.valNspAccuracy()));
    writeJson(SUMMARY, json);
  }

  private void writeJson(String name, Object value) {
    AtomicFiles.write(file(name), out -> Json.mapper().writerWithDefaultPrettyPrinter().writeValue(out, value));
  }

  private static Double finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }

  static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
