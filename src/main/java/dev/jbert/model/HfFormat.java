package dev.jbert.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A Hugging Face BERT folder ({@code BertForPreTraining.from_pretrained} loads it): {@code config.json},
 * {@code model.safetensors}, {@code vocab.txt}, {@code tokenizer_config.json}, {@code special_tokens_map.json}.
 *
 * <p>The {@code bert} architecture's parameters already carry Hugging Face's names; the two differences are all this
 * class converts: the tied MLM decoder ({@code cls.predictions.decoder.weight} and {@code .bias}, one tensor each with
 * the word embeddings and {@code cls.predictions.bias} here, written out as Google's checkpoints have them), and the
 * NSP classifier, whose two rows are swapped because Hugging Face's label 0 means "is next" and jbert's (d2l's) 1 does.
 */
public final class HfFormat {
  public static final String VOCAB_TXT = "vocab.txt";
  public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
  public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
  public static final String TOKENIZER_JSON = "tokenizer.json";

  static final String DECODER_WEIGHT = "cls.predictions.decoder.weight";
  static final String DECODER_BIAS = "cls.predictions.decoder.bias";
  static final String MLM_BIAS = "cls.predictions.bias";

  private static final String BERT_PREFIX = "bert.";
  private static final String POOLER = "bert.pooler.";

  /** transformers' BertEmbeddings buffer, written by old versions: not a parameter. */
  static final String POSITION_IDS = "bert.embeddings.position_ids";

  /** Special tokens by role, in d2l's vocabulary and in BERT's. */
  private static final List<String> ROLES = List.of("unk", "pad", "mask", "cls", "sep");
  private static final List<String> D2L_TOKENS = List.of("<unk>", "<pad>", "<mask>", "<cls>", "<sep>");
  private static final List<String> BERT_TOKENS = List.of("[UNK]", "[PAD]", "[MASK]", "[CLS]", "[SEP]");

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private HfFormat() {}

  /**
   * The tensors of {@code model} under Hugging Face's names and NSP labels, in the caller's pointer scope. A d2l model
   * is refused: Hugging Face's BertEmbeddings always applies a LayerNorm that d2l's network does not have.
   */
  public static Map<String, Tensor> toHf(BertModel model) {
    if (model.config().arch() != BertConfig.Arch.BERT) {
      throw new JbertException("a d2l-architecture model cannot be exported to Hugging Face's BertForPreTraining: d2l's"
          + " network has no embedding LayerNorm (and uses ReLU and an untied decoder); pretrain with --arch bert"
          + " (e.g. --preset bert-mini) to export");
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    model.parameters().forEach((name, t) -> out.put(name, t.detach()));
    out.put(HfBertModel.NSP + ".weight", swapRows(out.get(HfBertModel.NSP + ".weight")));
    out.put(HfBertModel.NSP + ".bias", swapRows(out.get(HfBertModel.NSP + ".bias")));
    out.put(DECODER_WEIGHT, out.get(HfBertModel.WORD_EMBEDDINGS).clone());
    out.put(DECODER_BIAS, out.get(MLM_BIAS).clone());
    return out;
  }

  /**
   * Hugging Face's tensors under the names of {@link HfBertModel#parameterShapes}, the NSP rows in jbert's order, in
   * the caller's pointer scope. The tied decoder keys, when present, are the word embeddings and the MLM bias by
   * definition ({@code tie_word_embeddings}) and are left out; so is the {@code position_ids} buffer. LayerNorm
   * {@code gamma}/{@code beta} are read as {@code weight}/{@code bias}, as transformers reads them.
   */
  public static Map<String, Tensor> fromHf(Map<String, Tensor> hf) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    hf.forEach((name, t) -> {
      String n = modernName(name);
      if (!n.equals(DECODER_WEIGHT) && !n.equals(DECODER_BIAS) && !n.equals(POSITION_IDS)) {
        out.put(n, t);
      }
    });
    for (String p : List.of(".weight", ".bias")) {
      Tensor nsp = out.get(HfBertModel.NSP + p);
      if (nsp != null) {
        out.put(HfBertModel.NSP + p, swapRows(nsp));
      }
    }
    return out;
  }

  /**
   * The parameters of {@link HfBertModel#parameterShapes} that a Hugging Face weights file with {@code names} lacks
   * and that may start from a new initialisation, as transformers starts them: the pooler and the pretraining heads
   * ({@code cls.*}), which a BertModel checkpoint (the encoder alone) does not have. Any other missing parameter is
   * left for the loader to name as an error.
   */
  public static List<String> missingHeads(java.util.Set<String> names, BertConfig cfg) {
    java.util.Set<String> present = new java.util.HashSet<>();
    names.forEach(n -> present.add(modernName(n)));
    return HfBertModel.parameterShapes(cfg).keySet().stream()
        .filter(n -> !present.contains(n) && (n.startsWith("cls.") || n.startsWith(POOLER)))
        .toList();
  }

  /**
   * The name transformers gives a parameter on load: Google's checkpoints (bert-base-uncased and the others converted
   * from TensorFlow) call a LayerNorm's scale and shift {@code gamma} and {@code beta}.
   */
  private static String modernName(String name) {
    if (name.startsWith("embeddings.") || name.startsWith("encoder.") || name.startsWith("pooler.")) {
      name = BERT_PREFIX + name; // a BertModel checkpoint (the encoder alone, as sentence-embedding models are saved)
    }
    if (name.endsWith(".LayerNorm.gamma")) {
      return name.substring(0, name.length() - "gamma".length()) + "weight";
    }
    if (name.endsWith(".LayerNorm.beta")) {
      return name.substring(0, name.length() - "beta".length()) + "bias";
    }
    return name;
  }

  /** Rows 0 and 1 exchanged: (2, ...) -> (2, ...), a new contiguous tensor. */
  private static Tensor swapRows(Tensor t) {
    return torch.flip(t.detach(), 0).contiguous();
  }

  /** Hugging Face's BertConfig for {@code cfg}, as {@code config.json}. */
  public static String configJson(BertConfig cfg, int padTokenId) {
    ObjectNode c = JSON.createObjectNode();
    c.putArray("architectures").add("BertForPreTraining");
    c.put("model_type", "bert");
    c.put("vocab_size", cfg.vocabSize());
    c.put("hidden_size", cfg.hidden());
    c.put("num_hidden_layers", cfg.layers());
    c.put("num_attention_heads", cfg.heads());
    c.put("intermediate_size", cfg.ffnHidden());
    c.put("hidden_act", "gelu");
    // the float as written in jbert's config (0.1, not 0.10000000149011612)
    c.put("hidden_dropout_prob", Double.parseDouble(Float.toString(cfg.dropout())));
    c.put("attention_probs_dropout_prob", Double.parseDouble(Float.toString(cfg.dropout())));
    c.put("max_position_embeddings", cfg.maxPositions());
    c.put("type_vocab_size", 2);
    c.put("initializer_range", HfBertModel.INIT_STD);
    c.put("layer_norm_eps", HfBertModel.LAYER_NORM_EPS);
    c.put("position_embedding_type", "absolute");
    c.put("pad_token_id", padTokenId);
    c.put("tie_word_embeddings", true);
    return write(c);
  }

  /**
   * The {@code bert} config of a Hugging Face {@code config.json}; one line naming what jbert's network cannot run (an
   * activation other than exact GELU, another LayerNorm eps, relative positions, more than two token types, an untied
   * decoder, attention and hidden dropout that differ).
   */
  public static BertConfig configFromJson(String json, String where) {
    JsonNode c;
    try {
      c = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new JbertException(where + ": not valid JSON (" + e.getOriginalMessage() + ")");
    }
    requireEqual(where, c, "model_type", "bert");
    requireEqual(where, c, "hidden_act", "gelu");
    requireEqual(where, c, "position_embedding_type", "absolute");
    if (c.has("type_vocab_size") && c.get("type_vocab_size").asInt() != 2) {
      throw new JbertException(where + ": type_vocab_size " + c.get("type_vocab_size") + " is not supported; jbert's"
          + " segments are 0 and 1 (type_vocab_size 2)");
    }
    if (c.has("layer_norm_eps") && c.get("layer_norm_eps").asDouble() != HfBertModel.LAYER_NORM_EPS) {
      throw new JbertException(where + ": layer_norm_eps " + c.get("layer_norm_eps") + " is not supported; jbert's"
          + " bert architecture uses BERT's 1e-12");
    }
    if (c.has("tie_word_embeddings") && !c.get("tie_word_embeddings").asBoolean()) {
      throw new JbertException(where + ": tie_word_embeddings false is not supported; jbert's MLM decoder is the word"
          + " embeddings");
    }
    double hidden = c.path("hidden_dropout_prob").asDouble(0.1);
    double attention = c.path("attention_probs_dropout_prob").asDouble(0.1);
    if (hidden != attention) {
      throw new JbertException(where + ": hidden_dropout_prob " + hidden + " and attention_probs_dropout_prob "
          + attention + " differ; jbert has one dropout rate");
    }
    return new BertConfig(required(where, c, "vocab_size"), required(where, c, "hidden_size"),
        required(where, c, "intermediate_size"), required(where, c, "num_attention_heads"),
        required(where, c, "num_hidden_layers"), (float) hidden, required(where, c, "max_position_embeddings"),
        BertConfig.Arch.BERT);
  }

  /** Whether {@code dir/config.json} is a Hugging Face config (it has {@code model_type}; jbert's never has). */
  public static boolean isHfFolder(Path dir) {
    Path config = dir.resolve(ModelFiles.CONFIG);
    if (!Files.isRegularFile(config)) {
      return false;
    }
    try {
      return JSON.readTree(config.toFile()).has("model_type");
    } catch (IOException e) {
      return false; // ModelFiles.load names what is wrong with it
    }
  }

  private static void requireEqual(String where, JsonNode c, String key, String value) {
    if (c.has(key) && !c.get(key).asText().equals(value)) {
      throw new JbertException(where + ": " + key + " \"" + c.get(key).asText() + "\" is not supported; jbert runs "
          + key + " \"" + value + "\" (BertForPreTraining)");
    }
  }

  private static int required(String where, JsonNode c, String key) {
    if (!c.has(key) || !c.get(key).canConvertToInt()) {
      throw new JbertException(where + ": missing or non-integer " + key);
    }
    return c.get(key).asInt();
  }

  /**
   * Writes a Hugging Face folder into {@code out} from {@code model}, the lines of its {@code vocab.txt} and its
   * longest trained input ({@code model_max_length} of the tokenizer).
   */
  public static void write(BertModel model, List<String> vocab, int maxLength, Path out) {
    write(model, vocab, maxLength, true, out);
  }

  /**
   * As {@link #write(BertModel, List, int, Path)}, for a tokenizer that lower-cases the text or not
   * ({@code do_lower_case}: a cased WordPiece vocabulary keeps the case).
   */
  public static void write(BertModel model, List<String> vocab, int maxLength, boolean lowercase, Path out) {
    if (vocab.size() != model.config().vocabSize()) {
      throw new JbertException("the vocabulary has " + vocab.size() + " tokens, the model " + model.config().vocabSize()
          + ": use the run's own vocab.txt");
    }
    List<String> specials = vocab.containsAll(BERT_TOKENS) ? BERT_TOKENS : D2L_TOKENS;
    if (!vocab.containsAll(specials)) {
      throw new JbertException("the vocabulary holds neither BERT's special tokens " + BERT_TOKENS + " nor d2l's "
          + D2L_TOKENS);
    }
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> tensors = toHf(model);
      SafeTensors.write(out.resolve(ModelFiles.WEIGHTS), tensors, Map.of("format", "pt"));
    }
    AtomicFiles.writeString(out.resolve(ModelFiles.CONFIG),
        configJson(model.config(), vocab.indexOf(specials.get(ROLES.indexOf("pad")))));
    AtomicFiles.writeString(out.resolve(VOCAB_TXT), String.join("\n", vocab) + "\n");
    ObjectNode map = JSON.createObjectNode();
    for (int i = 0; i < ROLES.size(); i++) {
      map.put(ROLES.get(i) + "_token", specials.get(i));
    }
    ObjectNode tokenizer = map.deepCopy();
    tokenizer.put("tokenizer_class", "BertTokenizer");
    tokenizer.put("do_lower_case", lowercase);
    tokenizer.put("model_max_length", maxLength);
    AtomicFiles.writeString(out.resolve(TOKENIZER_CONFIG), write(tokenizer));
    AtomicFiles.writeString(out.resolve(SPECIAL_TOKENS_MAP), write(map));
  }

  /**
   * Exports the model folder {@code from} (a run folder, or a folder written by {@link ModelFiles#save} with a
   * {@code vocab.txt}) as a Hugging Face folder {@code out}, created when missing. Refuses a d2l model and an
   * {@code out} that holds a jbert model (it would be overwritten), before writing anything.
   */
  public static void export(Path from, Path out) {
    if (Files.isRegularFile(out.resolve(ModelFiles.CONFIG)) && !isHfFolder(out)) {
      throw new JbertException(out + " holds a jbert model (its config.json would be overwritten); pass another --out");
    }
    Path vocabFile = from.resolve(VOCAB_TXT);
    if (!Files.isRegularFile(vocabFile)) {
      throw new JbertException("no " + VOCAB_TXT + " in " + from + "; point to a folder written by jbert pretrain");
    }
    try (BertModel model = ModelFiles.load(from, "cpu")) {
      if (model.config().arch() != BertConfig.Arch.BERT) {
        toHf(model); // the one-line refusal
      }
      Files.createDirectories(out);
      write(model, readVocab(vocabFile), trainedLength(from).orElse(model.config().maxPositions()), lowercase(from),
          out);
      Path tokenizerJson = from.resolve(TOKENIZER_JSON);
      if (Files.isRegularFile(tokenizerJson)) { // a WordPiece run's: the fast tokenizer with the run's normalizer
        AtomicFiles.write(out.resolve(TOKENIZER_JSON), o -> Files.copy(tokenizerJson, o));
      }
    } catch (IOException e) {
      throw new JbertException("cannot create " + out + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether the tokenizer of the model folder {@code dir} lower-cases: its {@code tokenizer_config.json}'s
   * {@code do_lower_case} (a WordPiece run's, or a Hugging Face folder's); d2l's words always do.
   */
  private static boolean lowercase(Path dir) {
    Path config = dir.resolve(TOKENIZER_CONFIG);
    if (!Files.isRegularFile(config)) {
      return true;
    }
    try {
      return JSON.readTree(config.toFile()).path("do_lower_case").asBoolean(true);
    } catch (IOException e) {
      throw new JbertException("cannot read " + config + ": " + e.getMessage(), e);
    }
  }

  /** The {@code max_len} a run trained with (its config.json's {@code data.max_len}), if recorded. */
  private static java.util.OptionalInt trainedLength(Path dir) {
    try {
      JsonNode maxLen = JSON.readTree(dir.resolve(ModelFiles.CONFIG).toFile()).path("data").path("max_len");
      return maxLen.canConvertToInt() ? java.util.OptionalInt.of(maxLen.asInt()) : java.util.OptionalInt.empty();
    } catch (IOException e) {
      throw new JbertException("cannot read " + dir.resolve(ModelFiles.CONFIG) + ": " + e.getMessage(), e);
    }
  }

  /** The files of a Hugging Face folder that {@code dir} holds, in the order {@link #export} writes them. */
  public static List<String> files(Path dir) {
    return java.util.stream.Stream.of(ModelFiles.CONFIG, ModelFiles.WEIGHTS, VOCAB_TXT, TOKENIZER_CONFIG,
            SPECIAL_TOKENS_MAP, TOKENIZER_JSON)
        .filter(name -> Files.isRegularFile(dir.resolve(name)))
        .toList();
  }

  /** Reads the vocabulary lines of {@code file}. */
  public static List<String> readVocab(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new JbertException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static String write(ObjectNode node) {
    try {
      return JSON.writeValueAsString(node) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serializes", e);
    }
  }
}
