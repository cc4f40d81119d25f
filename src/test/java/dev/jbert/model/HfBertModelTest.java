package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import dev.jbert.Numeric;
import dev.jbert.Torch;
import dev.jbert.data.Vocab;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code bert} architecture: against Hugging Face transformers' own outputs ({@code tools/make_golden_hf.py}),
 * autograd against finite differences, and the export to a Hugging Face folder and back.
 */
class HfBertModelTest {
  /** The golden model's config, as transformers wrote it. */
  static final BertConfig GOLDEN = new BertConfig(50, 16, 32, 2, 2, 0.1f, 20, BertConfig.Arch.BERT);

  private static Path golden(String name) {
    try {
      return Path.of(HfBertModelTest.class.getResource("/golden/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void transformersConfigJsonReadsAsTheBertArchitecture() throws Exception {
    String json = Files.readString(golden("hf_tiny/config.json"));
    assertThat(HfFormat.configFromJson(json, "config.json")).isEqualTo(GOLDEN);
    assertThat(HfFormat.configFromJson(HfFormat.configJson(GOLDEN, 1), "x")).isEqualTo(GOLDEN);
    assertThatThrownBy(() -> HfFormat.configFromJson(json.replace("\"gelu\"", "\"relu\""), "c.json"))
        .isInstanceOf(JbertException.class)
        .hasMessage("c.json: hidden_act \"relu\" is not supported; jbert runs hidden_act \"gelu\" (BertForPreTraining)");
  }

  /**
   * float32 against transformers' float32 run: both round differently (kernels, summation order); float32 moves these
   * outputs by about 1e-7 of their largest value, so 1e-5 of each output's scale is a wide margin that any real error
   * (a missing LayerNorm, ReLU for GELU, an untied decoder, swapped NSP rows) exceeds by orders of magnitude.
   */
  @Test
  void float32ForwardMatchesTransformersTo1e5OfEachOutputsScale() {
    compare(ScalarType.Float, "f32", 1e-5);
  }

  /** The same weights widened to float64 on both sides agree to float64 rounding; 1e-10 of the scale is wide. */
  @Test
  void float64ForwardMatchesTransformersTo1e10OfEachOutputsScale() {
    compare(ScalarType.Double, "f64", 1e-10);
  }

  private static void compare(ScalarType dtype, String suffix, double relative) {
    Map<String, Double> worst = new LinkedHashMap<>();
    try (PointerScope scope = new PointerScope();
        BertModel loaded = ModelFiles.load(golden("hf_tiny"), "cpu")) { // the Hugging Face folder as it is
      assertThat(loaded.config()).isEqualTo(GOLDEN);
      Map<String, Tensor> g = SafeTensors.read(golden("hf_forward.safetensors"), "cpu");
      Map<String, Tensor> params = new LinkedHashMap<>();
      loaded.parameters().forEach((k, v) -> params.put(k, v.detach().to(dtype)));
      try (BertModel model = BertModel.fromParameters(GOLDEN, "cpu", params);
          NoGradGuard inference = new NoGradGuard()) {
        Tensor encoded = model.encode(g.get("input_ids"), g.get("token_type_ids"), g.get("valid_lens"));
        // every row, padded ones too: both compute them the same way (queries at padding attend to the real keys)
        Tensor[] actual = {encoded, model.mlmHead(encoded), torch.flip(model.nspLogits(encoded), 1)};
        String[] names = {"encoded", "mlm_logits", "nsp_logits"}; // NSP: jbert's index 1 = is next = HF's 0
        for (int i = 0; i < names.length; i++) {
          Tensor expected = g.get(names[i] + "_" + suffix);
          assertThat(Torch.shape(actual[i])).as(names[i]).containsExactly(Torch.shape(expected));
          worst.put(names[i], Numeric.assertAllClose(names[i] + " vs transformers " + suffix,
              Torch.toDoubles(actual[i]), Torch.toDoubles(expected), relative, 0));
        }
      }
    }
    System.out.printf("transformers golden, jbert bert %s vs %s: max |diff| %s%n", BertModel.dtypeName(dtype), suffix,
        worst);
  }

  /** Tiny sizes, no dropout, float64: autograd of the pretraining loss against central differences. */
  @Test
  void analyticGradientsOfEveryParameterTensorMatchCentralDifferences() {
    BertConfig tiny = new BertConfig(7, 4, 6, 2, 2, 0f, 8, BertConfig.Arch.BERT);
    try (PointerScope scope = new PointerScope();
        BertModel model = randomModel(tiny, ScalarType.Double, 11)) {
      Map<String, double[]> analytic = new LinkedHashMap<>();
      GradientCheckTest.pretrainingLoss(model).backward();
      model.parameters().forEach((k, v) -> analytic.put(k, Torch.toDoubles(v.grad())));
      Map<String, double[]> base = GoldenForwardTest.toDoubles(model.parameters());
      double loss = lossWith(tiny, model, base, HfBertModel.WORD_EMBEDDINGS, 0, 0);
      // as in GradientCheckTest: the central difference's rounding is about 2e-10 |loss|; 1e-7 |loss| absolute plus
      // 1e-5 relative to the derivative leaves a wide margin, and a wrong gradient misses by far more
      double floor = 1e-7 * Math.abs(loss);
      Random random = new Random(3);
      double eps = 1e-6;
      List<String> failures = new ArrayList<>();
      int nonZero = 0;
      int checked = 0;
      for (String name : model.parameters().keySet()) {
        double[] g = analytic.get(name);
        for (int i : new int[] {0, g.length - 1, random.nextInt(g.length)}) {
          double numeric = (lossWith(tiny, model, base, name, i, eps) - lossWith(tiny, model, base, name, i, -eps))
              / (2 * eps);
          checked++;
          nonZero += Math.abs(numeric) > 10 * floor ? 1 : 0;
          if (!(Math.abs(numeric - g[i]) <= floor + 1e-5 * Math.abs(numeric))) {
            failures.add(name + "[" + i + "]: analytic " + g[i] + ", numeric " + numeric);
          }
        }
      }
      assertThat(failures).isEmpty();
      assertThat(checked).isEqualTo(3 * model.parameters().size());
      assertThat(nonZero).isGreaterThan(checked / 2);
    }
  }

  private static double lossWith(BertConfig cfg, BertModel model, Map<String, double[]> base, String name, int index,
      double delta) {
    try (PointerScope scratch = new PointerScope(); NoGradGuard inference = new NoGradGuard()) {
      Map<String, Tensor> weights = new LinkedHashMap<>();
      model.parameters().forEach((k, v) -> {
        double[] values = base.get(k);
        if (k.equals(name)) {
          values = values.clone();
          values[index] += delta;
        }
        weights.put(k, Torch.doubles(values, Torch.shape(v)));
      });
      try (BertModel perturbed = BertModel.fromParameters(cfg, "cpu", weights)) {
        return GradientCheckTest.pretrainingLoss(perturbed).item_double();
      }
    }
  }

  /** A bert model whose every parameter is random (not BERT's 0 biases and 1/0 LayerNorm, which hide mix-ups). */
  static BertModel randomModel(BertConfig cfg, ScalarType dtype, long seed) {
    torch.manual_seed(seed);
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> weights = new LinkedHashMap<>();
      HfBertModel.parameterShapes(cfg).forEach((k, shape) -> weights.put(k, torch.randn(shape).to(dtype)
          .mul(Torch.scalar(0.5)).add(Torch.scalar(k.contains("LayerNorm.weight") ? 1 : 0))));
      return BertModel.fromParameters(cfg, "cpu", weights);
    }
  }

  @Test
  void initialisationIsBertsNormal002WithZeroBiasesAndUnitLayerNorm() {
    BertConfig cfg = BertConfig.preset("bert-tiny", 3000);
    try (BertModel model = BertModel.create(cfg, ScalarType.Float, "cpu", 0)) {
      double[] w = Torch.toDoubles(model.parameters().get(HfBertModel.WORD_EMBEDDINGS));
      double mean = java.util.Arrays.stream(w).average().orElseThrow();
      double sd = Math.sqrt(java.util.Arrays.stream(w).map(x -> (x - mean) * (x - mean)).sum() / w.length);
      assertThat(sd).isBetween(0.0198, 0.0202); // 384,000 draws: the estimate's own spread is about 2e-5
      assertThat(Math.abs(mean)).isLessThan(1e-4);
      assertThat(Torch.toFloats(model.parameters().get("bert.encoder.layer.1.output.LayerNorm.weight")))
          .containsOnly(1f);
      assertThat(Torch.toFloats(model.parameters().get("bert.encoder.layer.1.output.LayerNorm.bias"))).containsOnly(0f);
      assertThat(Torch.toFloats(model.parameters().get("cls.predictions.bias"))).containsOnly(0f);
      assertThat(model.parameterCount()).isEqualTo(3000 * 128 + 512 * 128 + 2 * 128 + 2 * 128 // embeddings
          + 2 * (4 * (128 * 128 + 128) + 2 * 2 * 128 + 128 * 512 + 512 + 512 * 128 + 128) // layers
          + 128 * 128 + 128 // pooler
          + 3000 + 128 * 128 + 128 + 2 * 128 // MLM transform and bias (the decoder is the word embeddings)
          + 2 * 128 + 2); // NSP
    }
  }

  /**
   * The export writes what transformers' save_pretrained writes (the golden folder's keys) plus the tied decoder
   * weight and bias as Google's checkpoints have them, NSP rows swapped; loading it back gives the same outputs.
   */
  @Test
  void exportThenImportGivesTheSameOutputsAndTransformersKeys(@TempDir Path dir) throws Exception {
    List<String> vocab = new ArrayList<>(Vocab.RESERVED);
    for (int i = vocab.size(); i < GOLDEN.vocabSize(); i++) {
      vocab.add("w" + i);
    }
    try (PointerScope scope = new PointerScope();
        BertModel model = randomModel(GOLDEN, ScalarType.Float, 5)) {
      HfFormat.write(model, vocab, 12, dir);
      assertThat(dir.toFile().list()).containsExactlyInAnyOrder("config.json", "model.safetensors", "vocab.txt",
          "tokenizer_config.json", "special_tokens_map.json");
      Map<String, Tensor> file = SafeTensors.read(dir.resolve("model.safetensors"), "cpu");
      TreeSet<String> transformers = new TreeSet<>(SafeTensors.read(golden("hf_tiny/model.safetensors"), "cpu")
          .keySet());
      transformers.add("cls.predictions.decoder.weight");
      transformers.add("cls.predictions.decoder.bias");
      assertThat(new TreeSet<>(file.keySet())).isEqualTo(transformers);
      assertThat(Torch.toFloats(file.get("cls.predictions.decoder.weight")))
          .containsExactly(Torch.toFloats(model.parameters().get(HfBertModel.WORD_EMBEDDINGS)));
      float[] nsp = Torch.toFloats(model.parameters().get("cls.seq_relationship.weight"));
      float[] exported = Torch.toFloats(file.get("cls.seq_relationship.weight"));
      int h = GOLDEN.hidden();
      assertThat(java.util.Arrays.copyOfRange(exported, 0, h)).containsExactly(
          java.util.Arrays.copyOfRange(nsp, h, 2 * h)); // HF's row 0 (is next) is jbert's row 1
      String config = Files.readString(dir.resolve("config.json"));
      assertThat(config).contains("\"architectures\" : [ \"BertForPreTraining\" ]", "\"pad_token_id\" : 1",
          "\"tie_word_embeddings\" : true", "\"layer_norm_eps\" : 1.0E-12");

      try (BertModel back = ModelFiles.load(dir, "cpu"); NoGradGuard inference = new NoGradGuard()) {
        assertThat(back.config()).isEqualTo(GOLDEN);
        Tensor tokens = Torch.longs(new long[] {3, 7, 9, 4, 11, 4, 3, 8, 4, 1, 1, 1}, 2, 6);
        Tensor segments = Torch.longs(new long[] {0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0}, 2, 6);
        Tensor valid = Torch.floats(new float[] {6, 3});
        for (boolean pooled : new boolean[] {false, true}) {
          BertModel[] both = {model, back};
          float[][] out = new float[2][];
          for (int m = 0; m < 2; m++) {
            Tensor encoded = both[m].encode(tokens, segments, valid);
            out[m] = Torch.toFloats(pooled ? both[m].nspLogits(encoded) : both[m].mlmHead(encoded));
          }
          assertThat(out[1]).containsExactly(out[0]); // the same weights and code: bit for bit
        }
      }
    }
  }

  @Test
  void aD2lModelIsNotExportedAndTheMessageSaysWhyAndWhatToUse() {
    try (BertModel d2l = BertModel.create(new BertConfig(12, 8, 16, 2, 1, 0f, 10), ScalarType.Float, "cpu", 0)) {
      assertThatThrownBy(() -> HfFormat.toHf(d2l))
          .isInstanceOf(JbertException.class)
          .hasMessageContaining("no embedding LayerNorm")
          .hasMessageContaining("--arch bert");
    }
  }

  @Test
  void theConfigRecordsTheArchAndD2lConfigsStayAsTheyWere() {
    BertConfig bert = BertConfig.preset("bert-mini", 100);
    assertThat(bert).isEqualTo(new BertConfig(100, 256, 1024, 4, 4, 0.1f, 512, BertConfig.Arch.BERT));
    assertThat(bert.toJson()).contains("\"arch\" : \"bert\"");
    assertThat(BertConfig.fromJson(bert.toJson())).isEqualTo(bert);
    assertThat(BertConfig.d2l(5).toJson()).doesNotContain("arch"); // d2l's files are unchanged
    assertThat(BertConfig.fromJson(BertConfig.d2l(5).toJson()).arch()).isEqualTo(BertConfig.Arch.D2L);
    assertThat(BertConfig.preset("bert-large", 10).heads()).isEqualTo(16);
    assertThatThrownBy(() -> BertConfig.fromJson(bert.toJson().replace("\"bert\"", "\"gpt\"")))
        .hasMessageContaining("unknown arch 'gpt'; use d2l or bert");
  }
}
