package dev.jbert.data.wordpiece;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbert.JbertException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerFilesTest {
  @TempDir Path dir;

  /** Google's layout: [PAD] 0, [unused0..98], [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103, then words. */
  private static WordPieceVocab googleLayout(String... words) {
    List<String> tokens = new ArrayList<>(List.of("[PAD]"));
    for (int i = 0; i < 99; i++) {
      tokens.add("[unused" + i + "]");
    }
    tokens.addAll(List.of("[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    tokens.addAll(List.of(words));
    return WordPieceVocab.of(tokens);
  }

  private static List<String> names(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesTheThreeFilesOfAHuggingFaceBertFolder() throws Exception {
    WordPieceTokenizer t = new WordPieceTokenizer(googleLayout("the", "##s", "é"), true);
    Path out = dir.resolve("vocab");
    TokenizerFiles.write(out, t);
    assertThat(names(out)).containsExactly("tokenizer.json", "tokenizer_config.json", "vocab.txt");
    assertThat(Files.readAllLines(out.resolve("vocab.txt"))).hasSize(107).startsWith("[PAD]", "[unused0]")
        .endsWith("[MASK]", "the", "##s", "é");

    JsonNode json = new ObjectMapper().readTree(out.resolve("tokenizer.json").toFile());
    List<String> keys = new ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactly("version", "truncation", "padding", "added_tokens", "normalizer",
        "pre_tokenizer", "post_processor", "decoder", "model");
    assertThat(json.get("version").asText()).isEqualTo("1.0");
    assertThat(json.get("truncation").isNull()).isTrue();
    // the special tokens by id, looked up by name
    List<String> added = new ArrayList<>();
    json.get("added_tokens").forEach(a -> added.add(a.get("id").asInt() + " " + a.get("content").asText() + " "
        + a.get("special").asBoolean() + " " + a.get("normalized").asBoolean()));
    assertThat(added).containsExactly("0 [PAD] true false", "100 [UNK] true false", "101 [CLS] true false",
        "102 [SEP] true false", "103 [MASK] true false");
    assertThat(json.get("normalizer").toString()).isEqualTo("{\"type\":\"BertNormalizer\",\"clean_text\":true,"
        + "\"handle_chinese_chars\":true,\"strip_accents\":true,\"lowercase\":true}");
    assertThat(json.get("pre_tokenizer").toString()).isEqualTo("{\"type\":\"BertPreTokenizer\"}");
    JsonNode post = json.get("post_processor");
    assertThat(post.get("single").toString()).isEqualTo("[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},"
        + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}]");
    assertThat(post.get("pair").get(3).toString()).isEqualTo("{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}");
    assertThat(post.get("pair").get(4).toString()).isEqualTo("{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1}}");
    assertThat(post.get("special_tokens").toString()).isEqualTo(
        "{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[101],\"tokens\":[\"[CLS]\"]},"
            + "\"[SEP]\":{\"id\":\"[SEP]\",\"ids\":[102],\"tokens\":[\"[SEP]\"]}}");
    assertThat(json.get("decoder").toString()).isEqualTo("{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true}");
    JsonNode model = json.get("model");
    assertThat(model.get("type").asText()).isEqualTo("WordPiece");
    assertThat(model.get("unk_token").asText()).isEqualTo("[UNK]");
    assertThat(model.get("continuing_subword_prefix").asText()).isEqualTo("##");
    assertThat(model.get("max_input_chars_per_word").asInt()).isEqualTo(100);
    assertThat(model.get("vocab").size()).isEqualTo(107);
    assertThat(model.get("vocab").get("é").asInt()).isEqualTo(106);
    assertThat(model.get("vocab").fieldNames().next()).isEqualTo("[PAD]");

    JsonNode config = new ObjectMapper().readTree(out.resolve("tokenizer_config.json").toFile());
    assertThat(config.get("tokenizer_class").asText()).isEqualTo("BertTokenizer");
    assertThat(config.get("do_lower_case").asBoolean()).isTrue();
    assertThat(config.get("mask_token").asText()).isEqualTo("[MASK]");
  }

  @Test
  void casedWritesLowercaseFalseAndLoadsBackCased() throws Exception {
    WordPieceTokenizer t = new WordPieceTokenizer(googleLayout("Paris"), false);
    TokenizerFiles.write(dir, t);
    JsonNode json = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile());
    assertThat(json.at("/normalizer/lowercase").asBoolean()).isFalse();
    assertThat(json.at("/normalizer/strip_accents").asBoolean()).isFalse();
    WordPieceTokenizer back = TokenizerFiles.load(dir);
    assertThat(back.lowercase()).isFalse();
    assertThat(back.vocab()).isEqualTo(t.vocab());
    assertThat(back.encode("Paris paris")).containsExactly(104, 100);
  }

  @Test
  void loadsAVocabTxtAloneAsUncasedOrWithTheCasingOfTokenizerConfig() throws Exception {
    googleLayout("paris").write(dir.resolve("vocab.txt"));
    WordPieceTokenizer bare = TokenizerFiles.load(dir.resolve("vocab.txt"));
    assertThat(bare.lowercase()).isTrue();
    assertThat(bare.encode("PARIS")).containsExactly(104);
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": false}");
    assertThat(TokenizerFiles.load(dir).lowercase()).isFalse();
    // Hugging Face's strip_accents null: follows lowercase
    Files.writeString(dir.resolve("tokenizer.json"),
        "{\"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": true, \"strip_accents\": null}}");
    WordPieceTokenizer fromJson = TokenizerFiles.load(dir);
    assertThat(fromJson.lowercase()).isTrue();
    assertThat(fromJson.basic().stripAccents()).isTrue();
  }

  @Test
  void aTokenizerJsonOfAnotherKindOrBrokenJsonIsAOneLineError() throws Exception {
    googleLayout().write(dir.resolve("vocab.txt"));
    Files.writeString(dir.resolve("tokenizer.json"), "{\"normalizer\": {\"type\": \"NFC\"}}");
    assertThatThrownBy(() -> TokenizerFiles.load(dir))
        .isInstanceOf(JbertException.class).hasMessageContaining("is not a BERT tokenizer (normalizer NFC");
    Files.writeString(dir.resolve("tokenizer.json"), "{\"normalizer\": ");
    assertThatThrownBy(() -> TokenizerFiles.load(dir))
        .isInstanceOf(JbertException.class).hasMessageContaining("is not valid JSON").hasMessageNotContaining("\n");
    assertThatThrownBy(() -> TokenizerFiles.load(dir.resolve("missing")))
        .isInstanceOf(JbertException.class).hasMessageContaining("no vocabulary at");
  }

  @Test
  void aFolderWithTokenizerJsonAloneReadsItsWordPieceVocabularyOrSaysWhyNot() throws Exception {
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[PAD]\": 0,"
        + " \"[UNK]\": 1, \"[CLS]\": 2, \"[SEP]\": 3, \"[MASK]\": 4, \"a\": 5, \"##b\": 6}}}");
    WordPieceTokenizer t = TokenizerFiles.load(dir);
    assertThat(t.vocab().tokens()).containsExactly("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##b");
    assertThat(t.tokenize("ab")).containsExactly("a", "##b");
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
    assertThatThrownBy(() -> TokenizerFiles.load(dir)).isInstanceOf(JbertException.class)
        .hasMessage(dir.resolve("tokenizer.json") + " holds no WordPiece vocabulary (model type 'BPE'): pass a BERT"
            + " folder with a vocab.txt");
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[PAD]\": 0,"
        + " \"[UNK]\": 0}}}");
    assertThatThrownBy(() -> TokenizerFiles.load(dir)).isInstanceOf(JbertException.class)
        .hasMessageContaining("the vocabulary's ids are not 0..1 each once (token '[UNK]' has id 0)");
  }
}
