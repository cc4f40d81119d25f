package dev.jbert.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jbert.HubFolders;
import dev.jbert.Numeric;
import dev.jbert.Torch;
import dev.jbert.data.SpecialIds;
import dev.jbert.data.Tokenizer;
import dev.jbert.model.ModelFiles;
import dev.jbert.model.SafeTensors;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Hugging Face BERT folder laid out as the published checkpoints are (Google's vocabulary with {@code [UNK]}=100,
 * LayerNorm {@code gamma}/{@code beta}, the {@code position_ids} buffer; {@code tools/make_golden_hub_bert.py}) used as
 * {@code --model}: its own WordPiece tokenizer and transformers' outputs, from text to vectors.
 */
class HubBertTest {
  private static final Map<String, List<String>> INPUTS = Map.of(
      "a", List.of("The crane flew over the river."),
      "b", List.of("A crane driver lifted steel at dawn!"),
      "pair", List.of("Birds flying high above the water.", "It was a Café in 東京, Zürich?"),
      "mask", List.of("The [MASK] flew over the [MASK]."));

  static Bert bert;
  static Map<String, Tensor> expected;
  static PointerScope scope;

  static Path golden(String name) {
    try {
      return Path.of(HubBertTest.class.getResource("/golden/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeAll
  static void load() {
    bert = Bert.load(HubFolders.hubBert());
    scope = new PointerScope();
    expected = SafeTensors.read(golden("hub_bert_forward.safetensors"), "cpu");
  }

  @AfterAll
  static void close() {
    scope.close();
    bert.close();
  }

  @Test
  void aHubFolderIsReadWithItsOwnWordPieceTokenizerAndGooglesSpecialIds() {
    assertThat(bert.vocab().kind()).isEqualTo(Tokenizer.Kind.WORDPIECE);
    assertThat(bert.vocab().specials()).isEqualTo(new SpecialIds(0, 100, 101, 102, 103));
    assertThat(bert.vocab().size()).isEqualTo(138);
    assertThat(bert.maxLength()).isEqualTo(40); // max_position_embeddings: a Hub folder records no trained length
  }

  @Test
  void textGivesTheIdsOfTransformersTokenizerAndTheVectorsAndPooledOutputOfItsModel() {
    for (String key : INPUTS.keySet()) {
      List<String> text = INPUTS.get(key);
      Encoding e = text.size() == 1 ? bert.encode(text.get(0)) : bert.encode(text.get(0), text.get(1));
      long[] ids = e.tokens().stream().mapToLong(t -> bert.vocab().id(t)).toArray();
      assertThat(ids).as(key + " ids").containsExactly(Torch.toLongs(expected.get(key + "_input_ids")));
      float[] vectors = new float[e.length() * e.hidden()];
      for (int i = 0; i < e.length(); i++) {
        System.arraycopy(e.vector(i), 0, vectors, i * e.hidden(), e.hidden());
      }
      // float32 on both sides, other kernels: 1e-5 of each output's scale (see HfBertModelTest)
      Numeric.assertAllClose(key + " encoded", Numeric.widen(vectors),
          Torch.toDoubles(expected.get(key + "_encoded")), 1e-5, 0);
      Numeric.assertAllClose(key + " pooled", Numeric.widen(e.pooled()),
          Torch.toDoubles(expected.get(key + "_pooled")), 1e-5, 0);
    }
  }

  @Test
  void nextSentenceIsTransformersIsNextProbabilityItsLabelZero() {
    double[] logits = Torch.toDoubles(expected.get("pair_nsp_logits"));
    double isNext = 1 / (1 + Math.exp(logits[1] - logits[0]));
    List<String> pair = INPUTS.get("pair");
    assertThat(bert.nextSentence(pair.get(0), pair.get(1))).isCloseTo(isNext, within(1e-5));
  }

  @Test
  void fillMaskGivesTheProbabilitiesOfTransformersMlmLogitsAtEachMask() {
    double[] logits = Torch.toDoubles(expected.get("mask_mlm_logits")); // (1, T, V)
    long[] ids = Torch.toLongs(expected.get("mask_input_ids"));
    int v = bert.vocab().size();
    List<MaskPrediction> predictions = bert.fillMask(INPUTS.get("mask").get(0), 3);
    assertThat(predictions).extracting(MaskPrediction::position).containsExactly(2, 6);
    for (MaskPrediction p : predictions) {
      assertThat(ids[p.position()]).isEqualTo(103);
      double[] probs = softmax(Arrays.copyOfRange(logits, p.position() * v, (p.position() + 1) * v));
      for (MaskPrediction.Prediction best : p.predictions()) {
        assertThat(best.probability()).as(best.token()).isCloseTo(probs[bert.vocab().id(best.token())], within(1e-5));
      }
      double top = Arrays.stream(probs).max().orElseThrow();
      assertThat(p.predictions().get(0).probability()).isCloseTo(top, within(1e-5));
    }
  }

  @Test
  void aFolderSavedByTransformers5WithTokenizerJsonAloneGivesTheSameTokens(@TempDir Path dir) throws IOException {
    for (String name : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
      Files.copy(HubFolders.hubBert().resolve(name), dir.resolve(name));
    }
    try (Bert fromJson = Bert.load(dir)) {
      assertThat(fromJson.vocab().tokens()).isEqualTo(bert.vocab().tokens());
      assertThat(fromJson.vocab().specials()).isEqualTo(bert.vocab().specials());
      String text = INPUTS.get("pair").get(1);
      assertThat(fromJson.encode(text).tokens()).isEqualTo(bert.encode(text).tokens());
    }
  }

  @Test
  void anEncoderOnlyCheckpointEncodesAsTheWholeModelWithNewHeads(@TempDir Path dir) {
    Path encoderOnly = HubFolders.encoderOnly(dir.resolve("encoder-only"));
    assertThat(ModelFiles.missingHeads(HubFolders.hubBert())).isEmpty();
    assertThat(ModelFiles.missingHeads(encoderOnly)).containsExactly("cls.predictions.bias",
        "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
        "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias",
        "cls.seq_relationship.weight", "cls.seq_relationship.bias");
    try (Bert encoder = Bert.load(encoderOnly)) {
      for (List<String> text : INPUTS.values()) {
        Encoding a = text.size() == 1 ? bert.encode(text.get(0)) : bert.encode(text.get(0), text.get(1));
        Encoding b = text.size() == 1 ? encoder.encode(text.get(0)) : encoder.encode(text.get(0), text.get(1));
        assertThat(b.tokens()).isEqualTo(a.tokens());
        assertThat(b.vectors()).isDeepEqualTo(a.vectors());
        assertThat(b.pooled()).containsExactly(a.pooled());
      }
      // the new heads are seeded: two loads answer alike
      try (Bert again = Bert.load(encoderOnly)) {
        assertThat(again.nextSentence("a", "b")).isEqualTo(encoder.nextSentence("a", "b"));
      }
    }
  }

  private static double[] softmax(double[] x) {
    double max = Arrays.stream(x).max().orElseThrow();
    double[] e = Arrays.stream(x).map(l -> Math.exp(l - max)).toArray();
    double sum = Arrays.stream(e).sum();
    return Arrays.stream(e).map(p -> p / sum).toArray();
  }
}
