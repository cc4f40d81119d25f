package dev.jbert.cli;

import static dev.jbert.cli.CliRun.assertOneLineError;
import static dev.jbert.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.Json;
import dev.jbert.Numeric;
import dev.jbert.Precision;
import dev.jbert.encode.Bert;
import dev.jbert.encode.Encoding;
import dev.jbert.encode.MaskPrediction;
import dev.jbert.encode.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands that use a pretrained model: encode, similarity, fill-mask, next-sentence. */
class EncodeCommandsTest {
  @TempDir static Path dir;
  static Bert bert;

  @BeforeAll
  static void load() {
    bert = Bert.load(TinyModel.write(dir));
  }

  @AfterAll
  static void close() {
    bert.close();
  }

  static JsonNode json(CliRun run) throws Exception {
    assertThat(run.code()).as(run.err()).isZero();
    return Json.mapper().readTree(run.out());
  }

  static List<String> keys(JsonNode node) {
    List<String> keys = new ArrayList<>();
    node.fieldNames().forEachRemaining(keys::add);
    return keys;
  }


  @Test
  void encodePrintsTokensShapeAndTheFirstValues() {
    CliRun run = run("encode", "--model", dir.toString(), "a crane is flying");
    assertThat(run.code()).as(run.err()).isZero();
    Encoding e = bert.encode("a crane is flying");
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(8);
    assertThat(lines.get(0)).isEqualTo("tokens: <cls> a crane is flying <sep>");
    assertThat(lines.get(1)).isEqualTo("shape: (1, 6, 128)");
    for (int i = 0; i < 6; i++) {
      float[] v = e.vector(i);
      assertThat(lines.get(2 + i)).isEqualTo(String.format(Locale.ROOT, "%3d %-6s [%8.4f, %8.4f, %8.4f, ...]", i,
          e.tokens().get(i), v[0], v[1], v[2]));
    }
  }

  @Test
  void encodeJsonHasTheFullVectorsOfAPair() throws Exception {
    JsonNode root = json(run("encode", "--model", dir.toString(), "a crane driver came", "--pair", "he just zebra",
        "--json"));
    assertThat(keys(root)).containsExactly("encoding", "shape", "tokens", "unknown");
    Encoding e = bert.encode("a crane driver came", "he just zebra");
    assertThat(root.get("shape").toString()).isEqualTo("[1,10,128]");
    assertThat(root.get("tokens")).extracting(JsonNode::asText)
        .containsExactly("<cls>", "a", "crane", "driver", "came", "<sep>", "he", "just", "zebra", "<sep>");
    assertThat(root.get("unknown").toString()).isEqualTo("[\"zebra\"]");
    assertThat(root.get("encoding")).hasSize(10);
    for (int t = 0; t < 10; t++) {
      JsonNode row = root.get("encoding").get(t);
      assertThat(row).hasSize(128);
      for (int h = 0; h < 128; h++) {
        assertThat((float) row.get(h).asDouble()).isEqualTo(e.vector(t)[h]);
      }
    }
  }

  @Test
  void encodeInBf16GivesTheFp32VectorsToAboutTwoDigits() throws Exception {
    assumeTrue(Precision.cpuHasBf16(), "this CPU has no AVX512-BF16 or AMX: --precision bf16 runs fp32 here");
    CliRun run = run("encode", "--model", dir.toString(), "a crane driver came", "--pair", "he just left",
        "--precision", "bf16", "--json");
    JsonNode root = json(run);
    assertThat(run.err()).isEmpty(); // no "running fp32" note
    Encoding e = bert.encode("a crane driver came", "he just left");
    assertThat(root.get("shape").toString()).isEqualTo("[1,10,128]");
    float[] bf16 = new float[10 * 128];
    float[] fp32 = new float[10 * 128];
    for (int t = 0; t < 10; t++) {
      JsonNode row = root.get("encoding").get(t);
      for (int h = 0; h < 128; h++) {
        bf16[t * 128 + h] = (float) row.get(h).asDouble();
        fp32[t * 128 + h] = e.vector(t)[h];
      }
    }
    // bf16 keeps 8 significant bits (relative rounding 2^-9 = 2e-3) in every product, LayerNorm and the residual
    // stream stay fp32: the vectors (LayerNorm outputs of about unit scale) agree to about 1e-2 of their largest value
    Numeric.assertAllClose("bf16 vs fp32 vectors", bf16, fp32, 1e-2, 0);
    // and bf16 did run: the products were rounded
    assertThat(Numeric.maxAbsDiff(Numeric.widen(bf16), Numeric.widen(fp32))).isGreaterThan(1e-4);
  }

  @Test
  void everyTextCommandRefusesTextLongerThanTheTrainedMaxLenUnlessTruncating(@TempDir Path tmp) throws Exception {
    String run = TinyModel.writeRun(tmp.resolve("run"), 64).toString(); // trained at d2l's max_len 64
    String words = String.join(" ", Collections.nCopies(200, "crane"));
    String tooLong = "the input has 202 tokens with <cls> and <sep>, more than the 64 the model was trained for";
    assertOneLineError(run("encode", "--model", run, words), tooLong);
    CliRun cut = run("encode", "--model", run, words, "--truncate", "--json");
    assertThat(json(cut).get("shape").toString()).isEqualTo("[1,64,128]");
    assertThat(cut.err()).isEqualTo("note: truncated: dropped 138 tokens\n");

    assertOneLineError(run("next-sentence", "--model", run, words, "he just left"), "more than the 64");
    assertThat(run("next-sentence", "--model", run, words, "he just left", "--truncate").code()).isZero();
    assertOneLineError(run("fill-mask", "--model", run, words + " <mask>"), "more than the 64");
    assertThat(run("fill-mask", "--model", run, "<mask> " + words, "--truncate").code()).isZero();
    assertOneLineError(run("similarity", "--model", run, "--word", "crane", words, "a crane"), "more than the 64");
    assertThat(run("similarity", "--model", run, "--word", "crane", words, "a crane", "--truncate").code()).isZero();
  }

  @Test
  void similarityPrintsTheCosine() {
    CliRun run = run("similarity", "--model", dir.toString(), "--word", "crane", "a crane is flying",
        "a crane driver came");
    assertThat(run.code()).as(run.err()).isZero();
    double expected = bert.similarity("crane", "a crane is flying", "a crane driver came");
    assertThat(run.out()).isEqualTo(String.format(Locale.ROOT, "cosine similarity of 'crane': %.6f%n", expected));
    assertOneLineError(run("similarity", "--model", dir.toString(), "--word", "crane", "a crane is flying",
        "he just left"), "the word 'crane' is not in the second context: he just left");
  }

  @Test
  void encodePrintsOneVectorForTheWholeInputWhenAskedToPool() throws Exception {
    Encoding e = bert.encode("a crane driver came", "he just left");
    JsonNode mean = json(run("encode", "--model", dir.toString(), "a crane driver came", "--pair", "he just left",
        "--pool", "mean", "--json"));
    assertThat(mean.at("/pool/mode").asText()).isEqualTo("mean");
    float[] expected = e.mean();
    for (int j = 0; j < expected.length; j++) {
      assertThat(mean.at("/pool/vector/" + j).floatValue()).isEqualTo(expected[j]);
    }
    CliRun pooled = run("encode", "--model", dir.toString(), "a crane driver came", "--pooled");
    assertThat(pooled.code()).as(pooled.err()).isZero();
    float[] p = bert.encode("a crane driver came").pooled();
    assertThat(pooled.out()).contains(String.format(Locale.ROOT, "pool pooler: [%8.4f, %8.4f, %8.4f, ...]",
        p[0], p[1], p[2]));
    assertOneLineError(run("encode", "--model", dir.toString(), "a crane", "--pooled", "--pool", "mean"),
        "--pooled means --pool pooler");
    assertOneLineError(run("encode", "--model", dir.toString(), "a crane", "--pool", "max"), "--pool");
  }

  @Test
  void similarityRefusesAWordOutsideTheVocabularyAndPrintsJson() throws Exception {
    assertOneLineError(run("similarity", "--model", dir.toString(), "--word", "zzyzx", "a zzyzx is flying",
        "a zzyzx driver came"), "the word 'zzyzx' is not in the model's vocabulary");
    JsonNode root = json(run("similarity", "--model", dir.toString(), "--word", "crane", "a crane is flying",
        "a crane driver came", "--json"));
    assertThat(keys(root)).containsExactly("cosine_similarity", "word");
    assertThat(root.get("word").asText()).isEqualTo("crane");
    assertThat(root.get("cosine_similarity").asDouble())
        .isCloseTo(bert.similarity("crane", "a crane is flying", "a crane driver came"), within(1e-12));
  }

  @Test
  void fillMaskFindsMasksWrittenInAnyCase() throws Exception {
    JsonNode mixed = json(run("fill-mask", "--model", dir.toString(), "The <MASK> was released in <Mask>", "--json"));
    JsonNode lower = json(run("fill-mask", "--model", dir.toString(), "the <mask> was released in <mask>", "--json"));
    assertThat(mixed.get("masks")).hasSize(2);
    assertThat(mixed.get("masks").get(0).get("position").asInt()).isEqualTo(2);
    assertThat(mixed.get("masks").get(1).get("position").asInt()).isEqualTo(6);
    assertThat(mixed).isEqualTo(lower);
  }

  @Test
  void fillMaskJsonListsTheTopTokensOfEachMask() throws Exception {
    JsonNode root = json(run("fill-mask", "--model", dir.toString(), "the game was released in <mask>", "--top", "3",
        "--json"));
    assertThat(keys(root)).containsExactly("masks");
    List<MaskPrediction> expected = bert.fillMask("the game was released in <mask>", 3);
    assertThat(root.get("masks")).hasSize(1);
    JsonNode mask = root.get("masks").get(0);
    assertThat(keys(mask)).containsExactly("position", "predictions");
    assertThat(mask.get("position").asInt()).isEqualTo(6);
    assertThat(mask.get("predictions")).hasSize(3);
    for (int k = 0; k < 3; k++) {
      JsonNode p = mask.get("predictions").get(k);
      assertThat(keys(p)).containsExactly("probability", "token");
      assertThat(p.get("token").asText()).isEqualTo(expected.get(0).predictions().get(k).token());
      assertThat(p.get("probability").asDouble()).isEqualTo(expected.get(0).predictions().get(k).probability());
    }
  }

  @Test
  void fillMaskTableShowsTheDefaultFiveTokens() {
    CliRun run = run("fill-mask", "--model", dir.toString(), "the game was <mask> in 2010");
    assertThat(run.code()).as(run.err()).isZero();
    MaskPrediction expected = bert.fillMask("the game was <mask> in 2010", 5).get(0);
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(6);
    assertThat(lines.get(0)).isEqualTo("<mask> at position 4:");
    for (int k = 0; k < 5; k++) {
      MaskPrediction.Prediction p = expected.predictions().get(k);
      assertThat(lines.get(1 + k)).isEqualTo(String.format(Locale.ROOT, "  %-20s %.6f", p.token(), p.probability()));
    }
    assertOneLineError(run("fill-mask", "--model", dir.toString(), "no masks here"), "no <mask> in the text");
  }

  @Test
  void nextSentenceJsonHasOneProbability() throws Exception {
    JsonNode root = json(run("next-sentence", "--model", dir.toString(), "he just left", "a crane is flying",
        "--json"));
    assertThat(keys(root)).containsExactly("is_next_probability");
    double expected = bert.nextSentence("he just left", "a crane is flying");
    assertThat(root.get("is_next_probability").asDouble()).isCloseTo(expected, within(1e-15));
    CliRun text = run("next-sentence", "--model", dir.toString(), "he just left", "a crane is flying");
    assertThat(text.out()).isEqualTo(String.format(Locale.ROOT, "probability that B follows A: %.6f%n", expected));
  }

  @Test
  void badInputGetsOneLineErrorsAndExitCodeTwo(@TempDir Path tmp) throws Exception {
    Path missing = tmp.resolve("missing");
    assertOneLineError(run("encode", "--model", missing.toString(), "a crane"),
        "no model folder at " + missing + "; pass a folder written by ./jbert pretrain");
    Path mismatch = TinyModel.write(Files.createDirectories(tmp.resolve("mismatch")), 5, 3);
    for (String command : List.of("encode", "fill-mask")) {
      assertOneLineError(run(command, "--model", mismatch.toString(), "a <mask>"),
          "tokens but the model's vocab_size is " + (TinyModel.vocab().size() + 5));
    }
    assertOneLineError(run("encode", "--model", dir.toString(), " "), "the text is empty; give at least one word");
    assertOneLineError(run("encode", "--model", dir.toString(), "a crane", "--pair", ""),
        "the second text of the pair is empty");
    assertOneLineError(run("next-sentence", "--model", dir.toString(), "", "he left"), "the text is empty");
    assertOneLineError(run("encode", "--model", dir.toString(), "a crane", "--bogus"),
        "Unknown option: '--bogus' (see 'jbert encode --help')");
    assertOneLineError(run("similarity", "--model", dir.toString(), "a crane", "a crane"),
        "Missing required option: '--word=<word>'");
    assertOneLineError(run("fill-mask", "--model", dir.toString(), "a <mask>", "--top", "0"),
        "top must be at least 1, got 0");
  }

  @Test
  void helpShowsTheDefaults() {
    CliRun run = run("fill-mask", "--help");
    assertThat(run.code()).isZero();
    assertThat(run.out()).contains("--model=DIR").contains("(default: 5)");
    assertThat(run("--help").out()).contains("encode").contains("similarity").contains("fill-mask")
        .contains("next-sentence");
  }
}
