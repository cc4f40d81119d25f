package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.Numeric;
import dev.jbert.Torch;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * jbert's forward pass against d2l's BERTModel run by PyTorch: weights, input and outputs written by
 * {@code tools/make_golden_forward.py} (see there for how to regenerate them). The weights go through jbert's own
 * safetensors reader and {@link BertModel#fromParameters}, so a misread name, a transposed matrix, a swapped
 * LayerNorm scale and shift, a wrong head split or mask would all show here.
 */
class PyTorchGoldenTest {
  private static BertConfig config;
  private static Map<String, Tensor> weights;
  private static Map<String, Tensor> golden;

  @BeforeAll
  static void load() {
    Path weightsFile = resource("bert_weights.safetensors");
    config = BertConfig.fromJson(SafeTensors.readMetadata(weightsFile).get("config"));
    try (PointerScope scope = new PointerScope()) {
      weights = keepAll(SafeTensors.read(weightsFile, "cpu"));
      golden = keepAll(SafeTensors.read(resource("bert_forward.safetensors"), "cpu"));
    }
  }

  @AfterAll
  static void close() {
    weights.values().forEach(Tensor::close);
    golden.values().forEach(Tensor::close);
  }

  /** The tensors of {@code read}, kept beyond the scope they were read in. */
  private static Map<String, Tensor> keepAll(Map<String, Tensor> read) {
    read.values().forEach(Torch::keep);
    return read;
  }

  private static Path resource(String name) {
    try {
      return Path.of(PyTorchGoldenTest.class.getResource("/golden/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void theFixtureIsTheSmallModelWithPaddedInputs() {
    assertThat(config).isEqualTo(new BertConfig(50, 16, 32, 2, 2, 0.2f, 64));
    assertThat(weights).hasSize(45);
    for (Map.Entry<String, Tensor> e : weights.entrySet()) {
      assertThat(Torch.dtype(e.getValue())).as(e.getKey()).isEqualTo(ScalarType.Float);
    }
    // LayerNorm scales are random, not PyTorch's ones, so that gamma and beta are both exercised
    assertThat(Torch.toFloats(weights.get("encoder.blks.0.addnorm1.ln.weight"))).doesNotContain(1f);
    assertThat(Torch.shape(golden.get("tokens"))).containsExactly(3, 12);
    // one full row, two padded ones: the key mask matters
    assertThat(Torch.toFloats(golden.get("valid_lens"))).containsExactly(12f, 8f, 5f);
  }

  /**
   * float32 against PyTorch's float32 run. The two may round differently (kernel choice and summation order differ
   * between CPUs and libtorch builds); float32 rounding moves these outputs by about 2e-7 of their largest value (the
   * float32 run against the float64 one). 1e-5 of each output's scale leaves a 50-fold margin on any x86-64 CPU and
   * still fails on any real error (a wrong mask, head split or LayerNorm moves values by 1e-2 of the scale and more).
   */
  @Test
  void float32ForwardMatchesPyTorchTo1e5OfEachOutputsScale() {
    compare(ScalarType.Float, "f32", 1e-5);
  }

  /** jbert's float32 result is as close to the exact (float64) one as float32 rounding allows, within 1e-5. */
  @Test
  void float32ForwardIsWithin1e5OfPyTorchsFloat64Outputs() {
    compare(ScalarType.Float, "f64", 1e-5);
  }

  /**
   * The same weights widened to float64 on both sides. Both run libtorch's kernels with LayerNorm's eps the double
   * 1e-5, so they agree to float64 rounding, about 1e-15 of the scale. 1e-10 of the scale is a wide margin and 1e3
   * times below what a float32 step anywhere in the float64 path would cause.
   */
  @Test
  void float64ForwardMatchesPyTorchTo1e10OfEachOutputsScale() {
    compare(ScalarType.Double, "f64", 1e-10);
  }

  /** Runs jbert in inference mode and compares its three outputs with PyTorch's {@code suffix} run. */
  private static Map<String, Double> compare(ScalarType dtype, String suffix, double relative) {
    Map<String, Double> worst = new LinkedHashMap<>();
    try (PointerScope step = new PointerScope()) {
      Map<String, Tensor> params = new LinkedHashMap<>();
      for (Map.Entry<String, Tensor> e : weights.entrySet()) {
        params.put(e.getKey(), e.getValue().to(dtype)); // float32 -> float64 is exact
      }
      try (BertModel model = BertModel.fromParameters(config, "cpu", params);
          NoGradGuard inference = new NoGradGuard()) {
        assertThat(model.dataType()).isEqualTo(dtype);
        BertOutput out = model.forward(golden.get("tokens"), golden.get("segments"), golden.get("valid_lens"),
            golden.get("pred_positions"), null);
        Tensor[] actual = {out.encoded(), out.mlmLogitsOrNull(), out.nspLogits()};
        String[] names = {"encoded", "mlm_logits", "nsp_logits"};
        for (int i = 0; i < names.length; i++) {
          Tensor expected = golden.get(names[i] + "_" + suffix);
          assertThat(Torch.shape(actual[i])).as(names[i]).containsExactly(Torch.shape(expected));
          assertThat(Torch.dtype(actual[i])).as(names[i]).isEqualTo(dtype);
          double diff = Numeric.assertAllClose(names[i] + " (" + BertModel.dtypeName(dtype) + " vs PyTorch " + suffix
              + ")", Torch.toDoubles(actual[i]), Torch.toDoubles(expected), relative, 0);
          worst.put(names[i], diff);
        }
      }
    }
    System.out.printf("PyTorch golden, jbert %s vs PyTorch %s: max |diff| %s%n", BertModel.dtypeName(dtype), suffix,
        worst);
    return worst;
  }
}
