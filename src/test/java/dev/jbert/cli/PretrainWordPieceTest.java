package dev.jbert.cli;

import static dev.jbert.cli.CliRun.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.Json;
import dev.jbert.data.CorpusSpec;
import dev.jbert.data.PretrainingCorpus;
import dev.jbert.data.wordpiece.TokenizerFiles;
import dev.jbert.data.wordpiece.VocabConfig;
import dev.jbert.data.wordpiece.WordPieceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pretrain --tokenizer wordpiece}: from {@code jbert vocab} to a run folder that encode reads. */
class PretrainWordPieceTest {
  private static final String[] TINY = {"--steps", "2", "--batch-size", "8", "--layers", "1", "--hidden", "16",
      "--heads", "2", "--ffn-hidden", "32", "--devices", "cpu", "--eval-every", "0"};

  /**
   * 60 documents of 4 sentences, one sentence per line, over words that share stems ("play", "played", "player",
   * "playing"), so that a small WordPiece vocabulary splits some of them.
   */
  static Path corpus(Path dir) throws Exception {
    String[] words = {"the", "cat", "cats", "dog", "dogs", "play", "played", "player", "players", "playing", "ran",
        "runner", "running", "sat", "on", "mat", "a", "fast", "slow", "slowly", "quick", "quickly", "house", "houses"};
    Random r = new Random(5);
    StringBuilder text = new StringBuilder();
    for (int d = 0; d < 60; d++) {
      for (int s = 0; s < 4; s++) {
        int n = 4 + r.nextInt(6);
        for (int w = 0; w < n; w++) {
          text.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
        }
        text.append(" .\n");
      }
      text.append('\n');
    }
    Files.createDirectories(dir);
    return Files.writeString(dir.resolve("docs.txt"), text);
  }

  private static CliRun pretrain(String... args) {
    List<String> all = new ArrayList<>(List.of("pretrain"));
    all.addAll(List.of(TINY));
    all.addAll(List.of(args));
    return CliRun.run(all.toArray(String[]::new));
  }

  @Test
  void vocabThenPretrainWithItThenEncodeListsTheWordPieces(@TempDir Path tmp) throws Exception {
    Path texts = corpus(tmp.resolve("texts"));
    Path vocab = tmp.resolve("vocab");
    CliRun v = CliRun.run("vocab", "--data", texts.toString(), "--size", "60", "--out", vocab.toString());
    assertThat(v.code()).as(v.err()).isZero();
    Path run = tmp.resolve("run");
    CliRun r = pretrain("--data", texts.toString(), "--tokenizer", "wordpiece", "--vocab", vocab.toString(), "--out",
        run.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("tokenizer: wordpiece, vocabulary " + vocab.toAbsolutePath())
        .contains("vocabulary 60 (");

    JsonNode config = Json.mapper().readTree(run.resolve("config.json").toFile());
    assertThat(config.at("/data/tokenizer/kind").asText()).isEqualTo("wordpiece");
    assertThat(config.at("/data/tokenizer/vocab").asText()).isEqualTo(vocab.toAbsolutePath().toString());
    assertThat(config.at("/model/vocab_size").asInt()).isEqualTo(60);
    // the run keeps the tokenizer's files: BERT's vocab.txt and Hugging Face's two
    assertThat(Files.readString(run.resolve("vocab.txt"))).isEqualTo(Files.readString(vocab.resolve("vocab.txt")));
    assertThat(run.resolve("tokenizer.json")).isRegularFile();
    assertThat(run.resolve("tokenizer_config.json")).isRegularFile();

    String text = "The players played slowly";
    WordPieceTokenizer tokenizer = TokenizerFiles.load(vocab);
    List<String> pieces = tokenizer.tokenize(text);
    assertThat(pieces).anyMatch(p -> p.startsWith("##")); // the vocabulary is too small to hold every word whole
    JsonNode encoded = Json.mapper().readTree(CliRun.run("encode", "--model", run.toString(), "--json", text).out());
    List<String> tokens = new ArrayList<>();
    encoded.get("tokens").forEach(t -> tokens.add(t.asText()));
    List<String> expected = new ArrayList<>(List.of("[CLS]"));
    expected.addAll(pieces);
    expected.add("[SEP]");
    assertThat(tokens).isEqualTo(expected);
    assertThat(encoded.at("/shape/1").asInt()).isEqualTo(expected.size());
    assertThat(encoded.at("/shape/2").asInt()).isEqualTo(16);

    // fill-mask takes BERT's [MASK] and shows whole words; similarity finds a word of several pieces
    String masked = "the cat [MASK] on the mat";
    CliRun fill = CliRun.run("fill-mask", "--model", run.toString(), masked, "--top", "3");
    assertThat(fill.code()).as(fill.err()).isZero();
    assertThat(fill.out()).startsWith("[MASK] at position " + (tokenizer.tokenize(masked).indexOf("[MASK]") + 1)
        + ":\n");
    assertThat(fill.out().lines()).hasSize(4);
    // every token of the vocabulary: the ## pieces show as the word they make with the piece before the mask
    CliRun all = CliRun.run("fill-mask", "--model", run.toString(), "the player [MASK]", "--top", "100");
    List<String> joined = all.out().lines().filter(l -> l.contains("(##")).toList();
    assertThat(joined).isNotEmpty();
    String before = tokenizer.tokenize("the player").get(tokenizer.tokenize("the player").size() - 1);
    for (String line : joined) {
      String[] columns = line.strip().split("\\s+");
      String piece = columns[2].substring(3, columns[2].length() - 1); // (##ing) -> ing
      assertThat(columns[0]).as(line).endsWith(piece).contains(before.replace("##", ""));
    }
    CliRun similar = CliRun.run("similarity", "--model", run.toString(), "--word", "players",
        "the players sat", "players ran fast", "--json");
    assertThat(similar.code()).as(similar.err()).isZero();
    assertThat(Json.mapper().readTree(similar.out()).get("cosine_similarity").asDouble()).isBetween(-1.0, 1.0);

    CliRun next = CliRun.run("next-sentence", "--model", run.toString(), "the players sat", "the runner ran",
        "--json");
    assertThat(Json.mapper().readTree(next.out()).get("is_next_probability").asDouble()).isStrictlyBetween(0.0, 1.0);

    // resumed with its own copy of the vocabulary: the --vocab folder is no longer needed
    for (String name : List.of("vocab.txt", "tokenizer.json", "tokenizer_config.json")) {
      Files.delete(vocab.resolve(name));
    }
    CliRun resumed = CliRun.run("pretrain", "--resume", run.toString(), "--steps", "3", "--tokenizer", "wordpiece");
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.err()).contains("tokenizer: wordpiece, vocabulary the run's own, " + run);
  }

  @Test
  void wordPieceWithoutAVocabularyTrainsOneOnTheTrainingTextAndKeepsIt(@TempDir Path tmp) throws Exception {
    Path texts = corpus(tmp.resolve("texts"));
    Path run = tmp.resolve("run");
    CliRun r = pretrain("--data", texts.toString(), "--tokenizer", "wordpiece", "--vocab-size", "80", "--out",
        run.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("tokenizer: wordpiece, vocabulary trained on the training text");
    JsonNode config = Json.mapper().readTree(run.resolve("config.json").toFile());
    assertThat(config.at("/data/tokenizer/vocab_size").asInt()).isEqualTo(80);
    assertThat(config.at("/data/tokenizer/vocab").isNull()).isTrue();
    // the vocabulary jbert vocab would train on the same text, less the held-out documents (every 100th: none of 60)
    PretrainingCorpus corpus = PretrainingCorpus.open(CorpusSpec.of(texts));
    List<String> trained = corpus.trainWordPiece(VocabConfig.uncased(80)).vocab().tokens();
    assertThat(trained).hasSize(80);
    assertThat(Files.readAllLines(run.resolve("vocab.txt"))).isEqualTo(trained);
    assertThat(config.at("/model/vocab_size").asInt()).isEqualTo(80);
  }

  @Test
  void resumingWithAnotherTokenizerIsRefused(@TempDir Path tmp) throws Exception {
    Path texts = corpus(tmp.resolve("texts"));
    Path run = tmp.resolve("run");
    CliRun r = pretrain("--data", texts.toString(), "--out", run.toString()); // d2l's words
    assertThat(r.code()).as(r.err()).isZero();
    assertOneLineError(CliRun.run("pretrain", "--resume", run.toString(), "--steps", "3", "--tokenizer", "wordpiece"),
        "--tokenizer wordpiece does not match the run in " + run + ", which was started with --tokenizer words");
    assertOneLineError(CliRun.run("pretrain", "--resume", run.toString(), "--steps", "3", "--vocab-size", "100"),
        "--vocab-size cannot change when a run is resumed");
  }

  @Test
  void badTokenizerOptionsGetOneLineErrorsBeforeARunFolderIsWritten(@TempDir Path tmp) throws Exception {
    Path texts = corpus(tmp.resolve("texts"));
    Path run = tmp.resolve("run");
    assertOneLineError(pretrain("--data", texts.toString(), "--tokenizer", "bpe", "--out", run.toString()),
        "unknown --tokenizer 'bpe'; use words (d2l's) or wordpiece (BERT's)");
    assertOneLineError(pretrain("--data", texts.toString(), "--vocab", tmp.toString(), "--out", run.toString()),
        "--vocab is for a WordPiece vocabulary: pass --tokenizer wordpiece with it");
    assertOneLineError(pretrain("--data", texts.toString(), "--tokenizer", "wordpiece", "--vocab",
        tmp.resolve("none").toString(), "--out", run.toString()), "no vocabulary at " + tmp.resolve("none"));
    assertOneLineError(pretrain("--data", texts.toString(), "--tokenizer", "wordpiece", "--vocab-size", "20",
        "--out", run.toString()), "is smaller than the 5 special tokens plus the corpus's alphabet");
    assertThat(run).doesNotExist();
  }
}
