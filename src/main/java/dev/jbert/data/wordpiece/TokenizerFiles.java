package dev.jbert.data.wordpiece;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A WordPiece tokenizer on disk, in the files a Hugging Face BERT folder has:
 *
 * <ul>
 *   <li>{@code vocab.txt}: BERT's format, one token a line, id = line number;
 *   <li>{@code tokenizer.json}: Hugging Face tokenizers' format (BertNormalizer, BertPreTokenizer, WordPiece model,
 *       TemplateProcessing {@code [CLS] $A [SEP]} / {@code [CLS] $A [SEP] $B:1 [SEP]:1}, WordPiece decoder, the special
 *       tokens as added tokens), which {@code Tokenizer.from_file} and {@code AutoTokenizer} load as is;
 *   <li>{@code tokenizer_config.json}: the casing for transformers' {@code BertTokenizer(Fast)}, which would otherwise
 *       assume an uncased vocabulary.
 * </ul>
 *
 * Each file is written atomically (a temporary file, then a rename).
 */
public final class TokenizerFiles {
  public static final String VOCAB_TXT = "vocab.txt";
  public static final String TOKENIZER_JSON = "tokenizer.json";
  public static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TokenizerFiles() {}

  /** Writes the three files into {@code dir} (created when missing). */
  public static void write(Path dir, WordPieceTokenizer tokenizer) {
    try {
      byte[] json = MAPPER.writeValueAsBytes(tokenizerJson(tokenizer));
      byte[] config = MAPPER.writeValueAsBytes(tokenizerConfig(tokenizer));
      AtomicFiles.write(dir.resolve(TOKENIZER_JSON), out -> out.write(json));
      AtomicFiles.write(dir.resolve(TOKENIZER_CONFIG_JSON), out -> out.write(config));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serializes", e);
    }
    tokenizer.vocab().write(dir.resolve(VOCAB_TXT));
  }

  /** Hugging Face's {@code tokenizer.json} of {@code tokenizer}. */
  public static ObjectNode tokenizerJson(WordPieceTokenizer tokenizer) {
    WordPieceVocab vocab = tokenizer.vocab();
    ObjectNode root = MAPPER.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    WordPieceVocab.SPECIALS.stream()
        .sorted(Comparator.comparingInt(vocab::id))
        .forEach(special -> added.addObject()
            .put("id", vocab.id(special))
            .put("content", special)
            .put("single_word", false)
            .put("lstrip", false)
            .put("rstrip", false)
            .put("normalized", false)
            .put("special", true));
    root.putObject("normalizer")
        .put("type", "BertNormalizer")
        .put("clean_text", true)
        .put("handle_chinese_chars", true)
        .put("strip_accents", tokenizer.basic().stripAccents())
        .put("lowercase", tokenizer.basic().lowercase());
    root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    special(single, WordPieceVocab.CLS, 0);
    sequence(single, "A", 0);
    special(single, WordPieceVocab.SEP, 0);
    ArrayNode pair = post.putArray("pair");
    special(pair, WordPieceVocab.CLS, 0);
    sequence(pair, "A", 0);
    special(pair, WordPieceVocab.SEP, 0);
    sequence(pair, "B", 1);
    special(pair, WordPieceVocab.SEP, 1);
    ObjectNode specialTokens = post.putObject("special_tokens");
    for (String s : List.of(WordPieceVocab.CLS, WordPieceVocab.SEP)) {
      ObjectNode token = specialTokens.putObject(s);
      token.put("id", s);
      token.putArray("ids").add(vocab.id(s));
      token.putArray("tokens").add(s);
    }
    root.putObject("decoder").put("type", "WordPiece").put("prefix", WordPieceVocab.CONTINUATION).put("cleanup", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "WordPiece");
    model.put("unk_token", WordPieceVocab.UNK);
    model.put("continuing_subword_prefix", WordPieceVocab.CONTINUATION);
    model.put("max_input_chars_per_word", WordPieceTokenizer.MAX_INPUT_CHARS_PER_WORD);
    ObjectNode vocabNode = model.putObject("vocab");
    vocab.idsByToken().entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(e -> vocabNode.put(e.getKey(), e.getValue()));
    return root;
  }

  private static void special(ArrayNode template, String token, int typeId) {
    template.addObject().putObject("SpecialToken").put("id", token).put("type_id", typeId);
  }

  private static void sequence(ArrayNode template, String id, int typeId) {
    template.addObject().putObject("Sequence").put("id", id).put("type_id", typeId);
  }

  /** transformers' {@code tokenizer_config.json}: BertTokenizer with this casing and the special tokens. */
  static ObjectNode tokenizerConfig(WordPieceTokenizer tokenizer) {
    ObjectNode config = MAPPER.createObjectNode();
    config.put("tokenizer_class", "BertTokenizer");
    config.put("do_lower_case", tokenizer.basic().lowercase());
    config.put("strip_accents", tokenizer.basic().stripAccents());
    config.put("tokenize_chinese_chars", true);
    config.put("unk_token", WordPieceVocab.UNK);
    config.put("sep_token", WordPieceVocab.SEP);
    config.put("pad_token", WordPieceVocab.PAD);
    config.put("cls_token", WordPieceVocab.CLS);
    config.put("mask_token", WordPieceVocab.MASK);
    config.put("clean_up_tokenization_spaces", true);
    return config;
  }

  /**
   * Loads a tokenizer: a folder with {@code vocab.txt} (a {@code jbert vocab} output or a Hugging Face BERT folder),
   * or a {@code vocab.txt} itself. The casing comes from the folder's {@code tokenizer.json} (normalizer) or
   * {@code tokenizer_config.json} ({@code do_lower_case}); without either it is uncased, transformers' default.
   */
  public static WordPieceTokenizer load(Path folderOrVocabTxt) {
    Path dir = Files.isDirectory(folderOrVocabTxt) ? folderOrVocabTxt : folderOrVocabTxt.toAbsolutePath().getParent();
    Path vocabTxt = Files.isDirectory(folderOrVocabTxt) ? folderOrVocabTxt.resolve(VOCAB_TXT) : folderOrVocabTxt;
    // transformers 5 saves tokenizer.json alone, without vocab.txt
    boolean jsonOnly = Files.isDirectory(folderOrVocabTxt) && !Files.exists(vocabTxt)
        && Files.isRegularFile(dir.resolve(TOKENIZER_JSON));
    WordPieceVocab vocab = jsonOnly ? null : WordPieceVocab.load(vocabTxt); // a missing vocabulary is named first
    JsonNode json = readJson(dir.resolve(TOKENIZER_JSON));
    JsonNode config = readJson(dir.resolve(TOKENIZER_CONFIG_JSON));
    if (jsonOnly) {
      vocab = vocabOf(json, dir.resolve(TOKENIZER_JSON));
    }
    boolean lowercase = true;
    Boolean stripAccents = null;
    if (json != null && json.path("normalizer").isObject()) {
      JsonNode normalizer = json.get("normalizer");
      if (!"BertNormalizer".equals(normalizer.path("type").asText())) {
        throw new JbertException(dir.resolve(TOKENIZER_JSON) + " is not a BERT tokenizer (normalizer "
            + normalizer.path("type").asText() + ", not BertNormalizer): pass a BERT WordPiece vocabulary");
      }
      lowercase = normalizer.path("lowercase").asBoolean(true);
      stripAccents = normalizer.path("strip_accents").isBoolean() ? normalizer.get("strip_accents").asBoolean() : null;
    } else if (config != null && config.has("do_lower_case")) {
      lowercase = config.get("do_lower_case").asBoolean(true);
      stripAccents = config.path("strip_accents").isBoolean() ? config.get("strip_accents").asBoolean() : null;
    }
    return new WordPieceTokenizer(vocab, new BasicTokenizer(lowercase, stripAccents == null ? lowercase : stripAccents));
  }

  /** Whether {@code dir} holds a WordPiece vocabulary: a vocab.txt with BERT's {@code [UNK]}, or a tokenizer.json. */
  public static boolean holdsWordPiece(Path dir) {
    Path vocabTxt = dir.resolve(VOCAB_TXT);
    if (!Files.isRegularFile(vocabTxt)) {
      return Files.isRegularFile(dir.resolve(TOKENIZER_JSON));
    }
    try (java.util.stream.Stream<String> lines = Files.lines(vocabTxt, StandardCharsets.UTF_8)) {
      return lines.anyMatch(line -> line.strip().equals(WordPieceVocab.UNK));
    } catch (IOException | java.io.UncheckedIOException e) {
      return false; // the loader names what is wrong with the file
    }
  }

  /** The vocabulary of a {@code tokenizer.json}'s WordPiece model: its {@code vocab} map, token to id. */
  private static WordPieceVocab vocabOf(JsonNode json, Path file) {
    JsonNode model = json.path("model");
    if (!"WordPiece".equals(model.path("type").asText()) || !model.path("vocab").isObject()) {
      throw new JbertException(file + " holds no WordPiece vocabulary (model type '" + model.path("type").asText()
          + "'): pass a BERT folder with a vocab.txt");
    }
    String[] tokens = new String[model.get("vocab").size()];
    for (Map.Entry<String, JsonNode> e : model.get("vocab").properties()) {
      int id = e.getValue().asInt(-1);
      if (id < 0 || id >= tokens.length || tokens[id] != null) {
        throw new JbertException(file + ": the vocabulary's ids are not 0.." + (tokens.length - 1) + " each once"
            + " (token '" + e.getKey() + "' has id " + e.getValue() + "): pass a BERT folder with a vocab.txt");
      }
      tokens[id] = e.getKey();
    }
    return WordPieceVocab.of(List.of(tokens));
  }

  private static JsonNode readJson(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return MAPPER.readTree(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new JbertException(file + " is not valid JSON (" + e.getOriginalMessage() + "): fix or remove the file");
    } catch (IOException e) {
      throw new JbertException("cannot read " + file + " (" + e.getMessage() + "): fix or remove the file");
    }
  }
}
