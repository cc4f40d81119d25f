package dev.jbert.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import dev.jbert.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * A saved model is a folder with {@code config.json} ({@link BertConfig#toJson()}) and {@code model.safetensors} (the
 * PyTorch state_dict names of the architecture: d2l's BERTModel, loadable with {@code load_state_dict}, or Hugging
 * Face's BertForPreTraining). {@link #load} also reads a Hugging Face BERT folder ({@link HfFormat}).
 */
public final class ModelFiles {
  public static final String CONFIG = "config.json";
  public static final String WEIGHTS = "model.safetensors";

  private ModelFiles() {}

  /** Writes {@code dir/config.json} and {@code dir/model.safetensors}, each through a temp file and a rename. */
  public static void save(BertModel model, Path dir) {
    AtomicFiles.writeString(dir.resolve(CONFIG), model.config().toJson());
    saveWeights(model, dir);
  }

  /** Writes {@code dir/model.safetensors} alone (a run folder has its own config.json). */
  public static void saveWeights(BertModel model, Path dir) {
    SafeTensors.write(dir.resolve(WEIGHTS), model.parameters(), Map.of("format", "pt"));
  }

  /**
   * The model's part of a config file: a run folder's {@code config.json} holds the whole run's settings with the
   * architecture under {@code "model"}; a folder written by {@link #save} holds the architecture alone.
   */
  static String modelSection(String json) {
    try {
      JsonNode root = Json.mapper().readTree(json);
      JsonNode model = root == null ? null : root.get("model");
      return model != null && model.isObject() ? model.toString() : json;
    } catch (IOException e) {
      return json; // BertConfig.fromJson names what is wrong with it
    }
  }

  /**
   * Loads a model saved by {@link #save}, by a pretraining run or by {@code jbert export --format hf} (any Hugging Face
   * BertForPreTraining folder whose config jbert's network runs) onto {@code device} ({@code cpu}, {@code cuda:0}).
   */
  public static BertModel load(Path dir, String device) {
    if (HfFormat.isHfFolder(dir)) {
      return loadHf(dir, device);
    }
    Path configFile = dir.resolve(CONFIG);
    Path weightsFile = dir.resolve(WEIGHTS);
    for (Path p : new Path[] {configFile, weightsFile}) {
      if (!Files.isRegularFile(p)) {
        throw new JbertException("no " + p.getFileName() + " in " + dir + "; point to a folder written by jbert pretrain");
      }
    }
    BertConfig config;
    try {
      config = BertConfig.fromJson(modelSection(Files.readString(configFile, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new JbertException("cannot read " + configFile + ": " + e.getMessage(), e);
    } catch (JbertException e) {
      throw new JbertException(configFile + ": " + e.getMessage(), e);
    }
    try (PointerScope scratch = new PointerScope()) {
      Map<String, Tensor> weights = SafeTensors.read(weightsFile, device);
      try {
        return BertModel.fromParameters(config, device, weights);
      } catch (JbertException e) {
        throw new JbertException(weightsFile + " does not match " + CONFIG + ": " + e.getMessage(), e);
      }
    }
  }

  private static BertModel loadHf(Path dir, String device) {
    Path configFile = dir.resolve(CONFIG);
    Path weightsFile = dir.resolve(WEIGHTS);
    if (!Files.isRegularFile(weightsFile)) {
      throw new JbertException("no " + WEIGHTS + " in " + dir + "; jbert reads Hugging Face folders in safetensors"
          + " format (convert pytorch_model.bin with transformers' save_pretrained(safe_serialization=True))");
    }
    BertConfig config;
    try {
      config = HfFormat.configFromJson(Files.readString(configFile, StandardCharsets.UTF_8), configFile.toString());
    } catch (IOException e) {
      throw new JbertException("cannot read " + configFile + ": " + e.getMessage(), e);
    }
    try (PointerScope scratch = new PointerScope()) {
      Map<String, Tensor> weights = HfFormat.fromHf(SafeTensors.read(weightsFile, device));
      try {
        return BertModel.fromParameters(config, device, weights);
      } catch (JbertException e) {
        throw new JbertException(weightsFile + " does not match " + CONFIG + ": " + e.getMessage(), e);
      }
    }
  }
}
