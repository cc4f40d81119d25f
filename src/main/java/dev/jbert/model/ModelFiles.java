package dev.jbert.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import dev.jbert.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    BertConfig config = config(dir);
    try (PointerScope scratch = new PointerScope()) {
      return fromWeights(config, device, weights(dir, config, device), dir);
    }
  }

  /**
   * The model of {@code config} with the weights of the folder {@code dir} (read by {@link #weights}), which must
   * match it in names and shapes; the tensors are copied, so the caller's scope may free {@code weights}.
   */
  public static BertModel fromWeights(BertConfig config, String device, Map<String, Tensor> weights, Path dir) {
    try {
      return BertModel.fromParameters(config, device, weights);
    } catch (JbertException e) {
      throw new JbertException(dir.resolve(WEIGHTS) + " does not match " + CONFIG + ": " + e.getMessage(), e);
    }
  }

  /** The architecture of the model folder {@code dir}: a jbert folder's or a Hugging Face folder's config.json. */
  public static BertConfig config(Path dir) {
    Path configFile = dir.resolve(CONFIG);
    if (!Files.isRegularFile(configFile)) {
      throw new JbertException("no " + CONFIG + " in " + dir + "; point to a folder written by jbert pretrain or a"
          + " Hugging Face BERT folder");
    }
    String json;
    try {
      json = Files.readString(configFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new JbertException("cannot read " + configFile + ": " + e.getMessage(), e);
    }
    if (HfFormat.isHfFolder(dir)) {
      return HfFormat.configFromJson(json, configFile.toString());
    }
    try {
      return BertConfig.fromJson(modelSection(json));
    } catch (JbertException e) {
      throw new JbertException(configFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * The weights of the model folder {@code dir} on {@code device}, under jbert's names (a Hugging Face folder's
   * converted by {@link HfFormat#fromHf}, the heads it lacks for {@code config} newly initialised), in the caller's
   * pointer scope.
   */
  public static Map<String, Tensor> weights(Path dir, BertConfig config, String device) {
    Path weightsFile = dir.resolve(WEIGHTS);
    boolean hf = HfFormat.isHfFolder(dir);
    if (!Files.isRegularFile(weightsFile)) {
      throw new JbertException("no " + WEIGHTS + " in " + dir + (hf
          ? "; jbert reads Hugging Face folders in safetensors format (convert pytorch_model.bin with transformers'"
              + " save_pretrained(safe_serialization=True))"
          : "; point to a folder written by jbert pretrain"));
    }
    if (!hf) {
      return SafeTensors.read(weightsFile, device);
    }
    Map<String, Tensor> weights = new java.util.LinkedHashMap<>(HfFormat.fromHf(SafeTensors.read(weightsFile, device)));
    weights.putAll(HfBertModel.initialised(config, HfFormat.missingHeads(weights.keySet(), config), device));
    return weights;
  }

  /**
   * The pooler and pretraining-head parameters that the Hugging Face folder {@code dir} lacks and that {@link #weights}
   * initialises anew (empty for a BertForPreTraining folder and a jbert folder): with them the MLM and NSP outputs
   * are untrained, the encoder's vectors are the model's.
   */
  public static List<String> missingHeads(Path dir) {
    if (!HfFormat.isHfFolder(dir) || !Files.isRegularFile(dir.resolve(WEIGHTS))) {
      return List.of();
    }
    return HfFormat.missingHeads(SafeTensors.names(dir.resolve(WEIGHTS)), config(dir));
  }
}
