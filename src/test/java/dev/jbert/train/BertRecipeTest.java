package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jbert.Json;
import dev.jbert.Torch;
import dev.jbert.data.DataConfig;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingDataset;
import dev.jbert.model.BertConfig;
import dev.jbert.model.BertModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bert architecture in the training step, and BERT's recipe: AdamW, the linear schedule, gradient clipping. */
class BertRecipeTest {
  private static BertConfig tinyBert(float dropout) {
    return new BertConfig(TrainingTest.DATA.vocab().size(), 16, 32, 2, 2, dropout, 64, BertConfig.Arch.BERT);
  }

  /**
   * The decoder is the word embeddings: the chunked head's backward (per chunk, into the detached rows) and the
   * encoder's must both reach that one tensor, giving the all-slots path's gradient (tolerances as in TrainingTest).
   */
  @Test
  void theChunkedHeadGivesTheAllSlotsGradientsForTheTiedDecoderToo() {
    HostBatch batch = TrainingTest.batches(1, 400).get(0);
    Map<String, float[]> all = new LinkedHashMap<>();
    Map<String, float[]> chunked = new LinkedHashMap<>();
    StepLosses a = gradients(1, 1, batch, true, 0f, all);
    StepLosses c = gradients(1, 1, batch, false, 0f, chunked);
    TrainingTest.assertSameLosses(c, a);
    TrainingTest.assertSameGradients(chunked, all);
  }

  /** Dropout at every bert site (embeddings too) is keyed by example: splitting the batch changes nothing. */
  @Test
  void processSharesAndMicroBatchesGiveTheWholeBatchsGradientWithDropout() {
    HostBatch batch = TrainingTest.batches(1, 15).get(0);
    Map<String, float[]> single = new LinkedHashMap<>();
    Map<String, float[]> split = new LinkedHashMap<>();
    gradients(1, 1, batch, false, 0.2f, single);
    gradients(2, 2, batch, false, 0.2f, split);
    TrainingTest.assertSameGradients(split, single);
  }

  private static StepLosses gradients(int processes, int microBatches, HostBatch batch, boolean allSlots,
      float dropout, Map<String, float[]> out) {
    try (PointerScope scope = new PointerScope();
        BertModel model = BertModel.create(tinyBert(dropout), ScalarType.Float, "cpu", 5)) {
      StepLosses losses = TrainingTest.sharesForwardBackward(model, batch, processes, microBatches, allSlots, 77);
      model.parameters().forEach((k, v) -> out.put(k, Torch.toFloats(v.grad())));
      return losses;
    }
  }

  /** With zero gradients Adam moves nothing, so what moves is AdamW's decay: on matrices, not on 1-D tensors. */
  @Test
  void adamwDecaysWeightMatricesAndEmbeddingsButNotBiasesOrLayerNorm() {
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> params = new LinkedHashMap<>();
      params.put("dense.weight", Torch.floats(new float[] {1, 2, 3, 4}, 2, 2).set_requires_grad(true));
      params.put("dense.bias", Torch.floats(new float[] {1, 2}).set_requires_grad(true));
      params.put("LayerNorm.weight", Torch.floats(new float[] {1, 1}).set_requires_grad(true));
      for (Tensor p : params.values()) {
        p.mul(Torch.scalar(0)).sum().backward(); // a defined, zero gradient
      }
      try (Adam adamw = new Adam(0.9f, 0.999f, 1e-6f, 0.01f, params)) {
        adamw.step(params, 0.5f);
      }
      float keep = (float) (1 - 0.5 * 0.01);
      assertThat(Torch.toFloats(params.get("dense.weight"))).containsExactly(keep, 2 * keep, 3 * keep, 4 * keep);
      assertThat(Torch.toFloats(params.get("dense.bias"))).containsExactly(1f, 2f);
      assertThat(Torch.toFloats(params.get("LayerNorm.weight"))).containsExactly(1f, 1f);
    }
  }

  @Test
  void clippingScalesAllGradientsToTheGlobalNormAsTorchDoes() {
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> params = new LinkedHashMap<>();
      params.put("a", Torch.floats(new float[] {0, 0}).set_requires_grad(true));
      params.put("b", Torch.floats(new float[] {0}).set_requires_grad(true));
      params.get("a").mul(Torch.floats(new float[] {3, 0})).sum().backward(); // grad (3, 0)
      params.get("b").mul(Torch.floats(new float[] {4})).sum().backward(); // grad (4): global norm 5
      assertThat(Adam.clipGradNorm(params, 1.0)).isEqualTo(5.0);
      double coef = 1.0 / (5 + 1e-6); // torch.nn.utils.clip_grad_norm_'s max_norm / (norm + 1e-6)
      assertThat(Torch.toFloats(params.get("a").grad())).containsExactly((float) (3 * coef), 0f);
      assertThat(Torch.toFloats(params.get("b").grad())).containsExactly((float) (4 * coef));
      assertThat(Adam.clipGradNorm(params, 10.0)).as("below the limit: unchanged").isCloseTo(1.0, within(1e-6));
      assertThat(Torch.toFloats(params.get("b").grad())).containsExactly((float) (4 * coef));
    }
  }

  private static org.assertj.core.data.Offset<Double> within(double d) {
    return org.assertj.core.data.Offset.offset(d);
  }

  @Test
  void theLinearScheduleWarmsUpThenFallsTowardZeroAtTheEnd() {
    TrainConfig c = TrainConfig.builder().lr(1f).steps(10).warmupSteps(2).schedule(TrainConfig.LINEAR).build();
    assertThat(c.lrAt(0)).isEqualTo(0.5f);
    assertThat(c.lrAt(1)).isEqualTo(1f);
    assertThat(c.lrAt(2)).isEqualTo(1f); // 8 of 8 steps left
    assertThat(c.lrAt(5)).isEqualTo(5f / 8);
    assertThat(c.lrAt(9)).isEqualTo(1f / 8);
    TrainConfig constant = c.toBuilder().schedule(TrainConfig.CONSTANT).build();
    assertThat(constant.lrAt(9)).isEqualTo(1f);
  }

  @Test
  void bertPresetsCarryBertsRecipeAndD2lKeepsPlainAdam() {
    TrainConfig bert = Preset.named("bert-mini").recipe(TrainConfig.builder()).build();
    assertThat(bert.optimizer()).isEqualTo("adamw");
    assertThat(bert.weightDecay()).isEqualTo(0.01f);
    assertThat(bert.eps()).isEqualTo(1e-6f);
    assertThat(bert.schedule()).isEqualTo("linear");
    assertThat(bert.clipGradNorm()).isEqualTo(1.0f);
    assertThat(Preset.named("bert-base").lr()).isEqualTo(1e-4f);
    assertThat(Preset.named("bert-base").model(10).arch()).isEqualTo(BertConfig.Arch.BERT);
    assertThat(Preset.named("d2l").recipe(TrainConfig.builder()).build()).isEqualTo(TrainConfig.reference());
    assertThat(Preset.named("base").model(10).arch()).isEqualTo(BertConfig.Arch.D2L);
  }

  @Test
  void aTrainConfigWrittenBeforeTheRecipeSettingsReadsAsPlainAdam() throws Exception {
    ObjectNode json = (ObjectNode) Json.mapper().valueToTree(TrainConfig.reference());
    json.remove(List.of("optimizer", "weight_decay", "schedule", "clip_grad_norm"));
    TrainConfig read = Json.mapper().treeToValue(json, TrainConfig.class);
    assertThat(read).isEqualTo(TrainConfig.reference());
  }

  /**
   * A bert run with BERT's whole recipe (AdamW, warmup then linear decay, clipping) and dropout at every site, stopped
   * after 3 of 6 steps and resumed, ends with the weights of a run never stopped, bit for bit: every dropout mask is
   * keyed, the schedule is a function of the step, AdamW's state is in the checkpoint.
   */
  @Test
  void aResumedBertRunWithBertsRecipeEndsWithTheWeightsOfAnUninterruptedOne(@TempDir Path tmp) throws Exception {
    DataConfig data = new DataConfig(24, 5, 3);
    PretrainingDataset train = PretrainingDataset.build(TinyCorpus.lines(7, 300), data);
    Pretrainer.Data d = new Pretrainer.Data(train.examples(), List.of(), train.vocab());
    TrainConfig t = Preset.BERT_TINY.recipe(TrainConfig.builder()).batchSize(16).steps(6).lr(1e-3f).warmupSteps(2)
        .seed(3).microBatches(2).build();
    BertConfig model = new BertConfig(train.vocab().size(), 16, 32, 2, 2, 0.2f, 64, BertConfig.Arch.BERT);
    RunConfig config = new RunConfig(model, data, t, List.of("cpu"), "sha", "test");
    Path straight = tmp.resolve("straight");
    Path stopped = tmp.resolve("stopped");
    run(config, d, straight, false, Integer.MAX_VALUE);
    assertThat(run(config, d, stopped, false, 3).steps()).isEqualTo(3);
    assertThat(run(config, d, stopped, true, Integer.MAX_VALUE).steps()).isEqualTo(6);
    assertThat(Files.readAllBytes(stopped.resolve(RunFolder.MODEL)))
        .isEqualTo(Files.readAllBytes(straight.resolve(RunFolder.MODEL)));
    assertThat(Files.readAllBytes(stopped.resolve(RunFolder.CHECKPOINT)))
        .isEqualTo(Files.readAllBytes(straight.resolve(RunFolder.CHECKPOINT)));
  }

  private static TrainingSummary run(RunConfig config, Pretrainer.Data data, Path dir, boolean resume, int stopAfter) {
    AtomicInteger done = new AtomicInteger();
    Pretrainer.Listener count = new Pretrainer.Listener() {
      @Override
      public void onStep(StepMetrics m) {
        done.set(m.step());
      }
    };
    return new Pretrainer(config, List.of("cpu"))
        .run(data, new RunFolder(dir), resume, count, () -> done.get() >= stopAfter);
  }
}
