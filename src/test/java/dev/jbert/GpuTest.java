package dev.jbert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jbert.data.HostBatch;
import dev.jbert.model.BertConfig;
import dev.jbert.model.BertModel;
import dev.jbert.model.Dropout;
import dev.jbert.train.Adam;
import dev.jbert.train.MicroBatches;
import dev.jbert.train.StepLosses;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model and a training step on a CUDA device, against the same on the CPU. Skipped where libtorch sees no GPU (the
 * CPU build, or no device): {@code tools/gpu-check} runs it with the GPU build.
 */
class GpuTest {
  private static final String GPU = "cuda:0";
  private static final BertConfig TINY = new BertConfig(50, 32, 64, 2, 2, 0f, 16);

  @BeforeAll
  static void needsCuda() {
    Torch.load();
    assumeTrue(torch.cuda_is_available() && torch.cuda_device_count() > 0, "libtorch sees no CUDA device");
  }

  /** Four pairs of lengths 6 to 9 in rows of 10, two prediction slots each (the second of the first pair padded). */
  private static HostBatch batch() {
    int b = 4;
    int len = 10;
    int preds = 2;
    long[] tokens = new long[b * len];
    long[] segments = new long[b * len];
    float[] valid = new float[b];
    long[] positions = new long[b * preds];
    float[] weights = new float[b * preds];
    long[] labels = new long[b * preds];
    long[] nsp = new long[b];
    long[] rows = new long[b];
    for (int i = 0; i < b; i++) {
      valid[i] = 6 + i;
      for (int t = 0; t < valid[i]; t++) {
        tokens[i * len + t] = 5 + (7 * i + 3 * t) % 45;
        segments[i * len + t] = t < valid[i] / 2 ? 0 : 1;
      }
      for (int k = 0; k < preds; k++) {
        positions[i * preds + k] = 1 + 2 * k + i % 2;
        weights[i * preds + k] = i == 0 && k == 1 ? 0 : 1;
        labels[i * preds + k] = 5 + (11 * i + k) % 45;
      }
      nsp[i] = i % 2;
      rows[i] = i;
    }
    return new HostBatch(b, len, preds, tokens, segments, valid, positions, weights, labels, nsp, rows);
  }

  @Test
  void theModelGivesTheSameVectorsOnTheGpuAsOnTheCpu() {
    try (BertModel cpu = BertModel.create(TINY, ScalarType.Float, "cpu", 3);
        BertModel gpu = cpu.replicate(GPU);
        PointerScope scope = new PointerScope();
        InferenceMode inference = new InferenceMode()) {
      HostBatch b = batch();
      var onCpu = b.toTensors("cpu");
      var onGpu = b.toTensors(GPU);
      float[] expected = Torch.toFloats(cpu.encode(onCpu.tokens(), onCpu.segments(), onCpu.validLens()));
      Tensor encoded = gpu.encode(onGpu.tokens(), onGpu.segments(), onGpu.validLens());
      assertThat(Torch.deviceName(encoded)).isEqualTo(GPU);
      Numeric.assertAllClose("encoder output", Torch.toFloats(encoded), expected, 1e-4, 1e-5);
      Numeric.assertAllClose("NSP logits", Torch.toFloats(gpu.nspLogits(encoded)),
          Torch.toFloats(cpu.nspLogits(cpu.encode(onCpu.tokens(), onCpu.segments(), onCpu.validLens()))), 1e-4, 1e-5);
    }
  }

  @Test
  void aTrainingStepOnTheGpuGivesTheLossAndWeightsOfTheCpu() {
    Map<String, float[]> after = new java.util.HashMap<>();
    double[] loss = new double[2];
    String[] devices = {"cpu", GPU};
    for (int d = 0; d < 2; d++) {
      try (BertModel base = BertModel.create(TINY, ScalarType.Float, "cpu", 3);
          BertModel model = base.replicate(devices[d]);
          Adam adam = new Adam(0.9f, 0.999f, 1e-8f, model.parameters())) {
        StepLosses losses = new MicroBatches(model, false, 2, Precision.FP32).forwardBackward(batch(), 1, 11);
        adam.step(model.parameters(), 1e-3f);
        loss[d] = losses.mlm() + losses.nsp();
        String name = "encoder.blks.0.attention.W_q.weight";
        float[] w = Torch.toFloats(model.parameters().get(name));
        if (d == 0) {
          after.put(name, w);
        } else {
          Numeric.assertAllClose("weights after one step", w, after.get(name), 1e-4, 1e-6);
        }
      }
    }
    Numeric.assertClose("loss", loss[1], loss[0], 1e-4);
  }

  @Test
  void bf16AutocastOnTheGpuKeepsTheLossWithinTwoPercentOfFp32() {
    double[] loss = new double[2];
    Precision[] precisions = {Precision.FP32, Precision.BF16};
    for (int i = 0; i < 2; i++) {
      try (BertModel model = BertModel.create(TINY, ScalarType.Float, GPU, 3)) {
        StepLosses losses = new MicroBatches(model, false, 1, precisions[i]).forwardBackward(batch(), 1, 11);
        loss[i] = losses.mlm() + losses.nsp();
        assertThat(Torch.dtype(model.parameters().get("mlm.mlp.3.weight").grad())).isEqualTo(ScalarType.Float);
      }
    }
    Numeric.assertClose("bf16 loss against fp32", loss[1], loss[0], 0.02);
  }

  @Test
  void dropoutOnTheGpuZeroesAboutTheRateAndScalesTheRest() {
    try (PointerScope scope = new PointerScope()) {
      torch.manual_seed(5);
      Tensor ones = torch.ones(64, 1000).to(Torch.device(GPU), ScalarType.Float);
      float[] y = Torch.toFloats(Dropout.apply(ones, 0.2f, 0, Dropout.Keys.of(1, 64)));
      int zeros = 0;
      for (float v : y) {
        if (v == 0) {
          zeros++;
        } else {
          assertThat(v).isCloseTo(1 / 0.8f, org.assertj.core.data.Offset.offset(1e-6f));
        }
      }
      assertThat(zeros / (double) y.length).isBetween(0.19, 0.21);
    }
  }
}
