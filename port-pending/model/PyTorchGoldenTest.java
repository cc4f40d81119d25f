package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.jbert.Numeric;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
  private static NDManager manager;
  private static BertConfig config;
  private static Map<String, NDArray> weights;
  private static Map<String, NDArray> golden;

  @BeforeAll
  static void load() {
    manager = NDManager.newBaseManager();
    Path weightsFile = resource("bert_weights.safetensors");
    config = BertConfig.fromJson(SafeTensors.readMetadata(weightsFile).get("config"));
    weights = SafeTensors.read(weightsFile, manager);
    golden = SafeTensors.read(resource("bert_forward.safetensors"), manager);
  }

  @AfterAll
  static void close() {
    manager.close();
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
    for (Map.Entry<String, NDArray> e : weights.entrySet()) {
      assertThat(e.getValue().getDataType()).as(e.getKey()).isEqualTo(DataType.FLOAT32);
    }
    // LayerNorm scales are random, not PyTorch's ones, so that gamma and beta are both exercised
    assertThat(weights.get("encoder.blks.0.addnorm1.ln.weight").toFloatArray()).doesNotContain(1f);
    assertThat(golden.get("tokens").getShape()).isEqualTo(new Shape(3, 12));
    // one full row, two padded ones: the key mask matters
    assertThat(golden.get("valid_lens").toFloatArray()).containsExactly(12f, 8f, 5f);
  }

  /**
   * float32 against PyTorch's float32 run. The two may round differently (kernel choice and summation order differ
   * between CPUs and libtorch builds); float32 rounding moves these outputs by about 2e-7 of their largest value (the
   * float32 run against the float64 one). 1e-5 of each output's scale leaves a 50-fold margin on any x86-64 CPU and
   * still fails on any real error (a wrong mask, head split or LayerNorm moves values by 1e-2 of the scale and more).
   */
  @Test
  void float32ForwardMatchesPyTorchTo1e5OfEachOutputsScale() {
    compare(DataType.FLOAT32, "f32", 1e-5);
  }

  /** jbert's float32 result is as close to the exact (float64) one as float32 rounding allows, within 1e-5. */
  @Test
  void float32ForwardIsWithin1e5OfPyTorchsFloat64Outputs() {
    compare(DataType.FLOAT32, "f64", 1e-5);
  }

  /**
   * The same weights widened to float64 on both sides. jbert's LayerNorm eps is the float 1e-5f (DJL's layerNorm takes
   * a float), 2.5e-9 relative off PyTorch's double 1e-5: on this fixture that alone accounts for the whole difference,
   * up to 2e-12 of the MLM logits' scale (the MLM head's LayerNorm sees a small variance). Everything else agrees to
   * float64 rounding, about 1e-15. 1e-10 of the scale is 50 times the eps effect and 1e3 times below what a float32
   * step anywhere in the float64 path would cause.
   */
  @Test
  void float64ForwardMatchesPyTorchTo1e10OfEachOutputsScale() {
    compare(DataType.FLOAT64, "f64", 1e-10);
  }

  /** Runs jbert in inference mode and compares its three outputs with PyTorch's {@code suffix} run. */
  private static Map<String, Double> compare(DataType dtype, String suffix, double relative) {
    Map<String, Double> worst = new LinkedHashMap<>();
    try (NDManager step = manager.newSubManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : weights.entrySet()) {
        params.put(e.getKey(), e.getValue().toType(dtype, true)); // float32 -> float64 is exact
      }
      try (BertModel model = BertModel.fromParameters(config, step, params)) {
        assertThat(model.dataType()).isEqualTo(dtype);
        GradMode.off();
        BertOutput out = model.forward(golden.get("tokens"), golden.get("segments"), golden.get("valid_lens"),
            golden.get("pred_positions"), false);
        NDArray[] actual = {out.encoded(), out.mlmLogitsOrNull(), out.nspLogits()};
        String[] names = {"encoded", "mlm_logits", "nsp_logits"};
        for (int i = 0; i < names.length; i++) {
          NDArray expected = golden.get(names[i] + "_" + suffix);
          assertThat(actual[i].getShape()).as(names[i]).isEqualTo(expected.getShape());
          assertThat(actual[i].getDataType()).as(names[i]).isEqualTo(dtype);
          double diff = Numeric.assertAllClose(names[i] + " (" + dtype + " vs PyTorch " + suffix + ")",
              actual[i].toType(DataType.FLOAT64, true).toDoubleArray(),
              expected.toType(DataType.FLOAT64, true).toDoubleArray(), relative, 0);
          worst.put(names[i], diff);
        }
      }
    }
    System.out.printf("PyTorch golden, jbert %s vs PyTorch %s: max |diff| %s%n", dtype, suffix, worst);
    return worst;
  }
}
