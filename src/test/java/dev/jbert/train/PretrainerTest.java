package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jbert.Numeric;
import dev.jbert.Precision;
import dev.jbert.Torch;
import dev.jbert.data.DataConfig;
import dev.jbert.data.PretrainingDataset;
import dev.jbert.data.PretrainingExample;
import dev.jbert.model.BertConfig;
import dev.jbert.model.BertModel;
import dev.jbert.model.BertOutput;
import dev.jbert.model.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainerTest {
  private static final DataConfig DATA_CONFIG = new DataConfig(24, 5, 3);
  private static final PretrainingDataset TRAIN = PretrainingDataset.build(TinyCorpus.lines(7, 300), DATA_CONFIG);
  private static final PretrainingDataset VALID =
      PretrainingDataset.build(TinyCorpus.lines(8, 60), TRAIN.vocab(), DATA_CONFIG);
  private static final Pretrainer.Data DATA =
      new Pretrainer.Data(TRAIN.examples(), VALID.examples(), TRAIN.vocab());

  private static RunConfig config(int steps, float lr, int checkpointEvery) {
    return config(TrainConfig.builder().batchSize(16).steps(steps).lr(lr).seed(3).checkpointEvery(checkpointEvery)
        .microBatches(2).build());
  }

  private static RunConfig config(TrainConfig train) {
    BertConfig model = new BertConfig(TRAIN.vocab().size(), 16, 32, 2, 2, 0.2f, 64);
    return new RunConfig(model, DATA_CONFIG, train, List.of("cpu"), "sha", "test");
  }

  private static TrainingSummary run(RunConfig config, Path dir, boolean resume, int stopAfter) {
    AtomicInteger done = new AtomicInteger();
    Pretrainer.Listener count = new Pretrainer.Listener() {
      @Override
      public void onStep(StepMetrics m) {
        done.set(m.step());
      }
    };
    return new Pretrainer(config, List.of("cpu"))
        .run(DATA, new RunFolder(dir), resume, count, () -> done.get() >= stopAfter);
  }

  @Test
  void oneProcessTrainsOnOneDevice() {
    assertThat(Pretrainer.deviceOf(List.of("cpu"), null)).isEqualTo("cpu");
    assertThatThrownBy(() -> new Pretrainer(config(2, 3e-3f, 0), List.of("cuda:0", "cuda:1")))
        .hasMessage("--devices names 2 devices (cuda:0, cuda:1), and a process trains on one: start one process per"
            + " device with --nproc-per-node 2, or pick one device");
  }

  @Test
  void aResumeWithOtherMicroBatchesContinuesWithTheSameLossesAndWeights(@TempDir Path tmp) throws Exception {
    Path straight = tmp.resolve("straight");
    Path split = tmp.resolve("split");
    run(config(6, 3e-3f, 0), straight, false, Integer.MAX_VALUE);
    run(config(6, 3e-3f, 0), split, false, 3);
    RunConfig fourParts = config(config(6, 3e-3f, 0).train().toBuilder().microBatches(4).build());
    run(fourParts, split, true, Integer.MAX_VALUE);
    // the dropout masks are the same (keyed by example, not by part), so only the summation order of the
    // micro-batches' gradients differs: float rounding, not a different step. Bit for bit is not possible, as each
    // part's gradient is itself a sum over its examples in another grouping.
    List<StepMetrics> a = MetricsLog.read(straight.resolve(RunFolder.METRICS), 99);
    List<StepMetrics> b = MetricsLog.read(split.resolve(RunFolder.METRICS), 99);
    assertThat(b).hasSize(6);
    for (int i = 0; i < 6; i++) {
      Numeric.assertClose("mlm loss of step " + (i + 1), b.get(i).mlmLoss(), a.get(i).mlmLoss(), 1e-5);
      Numeric.assertClose("nsp loss of step " + (i + 1), b.get(i).nspLoss(), a.get(i).nspLoss(), 1e-5);
    }
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> x = SafeTensors.read(straight.resolve(RunFolder.MODEL), "cpu");
      Map<String, Tensor> y = SafeTensors.read(split.resolve(RunFolder.MODEL), "cpu");
      for (String name : x.keySet()) {
        if (name.endsWith("attention.W_k.bias")) {
          // its true gradient is 0 (a bias on every key of a query shifts its softmax row by a constant), so it
          // moves only by rounding noise, which Adam's division by sqrt(v) scales up to +-lr a step
          continue;
        }
        // six Adam steps of lr 3e-3 move a weight by up to 0.018; rounding-level gradient differences move it by far
        // less, except where Adam divides a tiny gradient by its own tiny sqrt(v)
        Numeric.assertAllClose(name, Torch.toFloats(y.get(name)), Torch.toFloats(x.get(name)), 1e-4, 1e-4);
      }
    }
  }

  @Test
  void dynamicMasksChangeWithTheEpochAndAResumedRunStillEndsExactly(@TempDir Path tmp) throws Exception {
    DataConfig dynamic = new DataConfig(24, 5, 3, true);
    PretrainingDataset train = PretrainingDataset.build(TinyCorpus.lines(7, 300), dynamic);
    Pretrainer.Data data = new Pretrainer.Data(train.examples(), VALID.examples(), train.vocab(), train::examples);
    // batches of 256: at most 3 per epoch, so 6 steps see at least 2 epochs and the stop after 4 falls in the second
    TrainConfig t = TrainConfig.builder().batchSize(256).steps(6).seed(3).microBatches(2).skipEval(true).build();
    RunConfig config = new RunConfig(new BertConfig(train.vocab().size(), 16, 32, 2, 2, 0.2f, 64), dynamic, t,
        List.of("cpu"), "sha", "test");
    assertThat(new dev.jbert.data.BatchIterator(train.examples(), 256, 3, 0).batchesPerEpoch()).isLessThanOrEqualTo(3);
    Path straight = tmp.resolve("straight");
    Path stopped = tmp.resolve("stopped");
    AtomicInteger done = new AtomicInteger();
    Pretrainer.Listener count = new Pretrainer.Listener() {
      @Override
      public void onStep(StepMetrics m) {
        done.set(m.step());
      }
    };
    new Pretrainer(config, List.of("cpu")).run(data, new RunFolder(straight), false, count, () -> false);
    done.set(0);
    new Pretrainer(config, List.of("cpu")).run(data, new RunFolder(stopped), false, count,
        () -> done.get() >= 4);
    new Pretrainer(config, List.of("cpu")).run(data, new RunFolder(stopped), true, count, () -> false);
    assertThat(Files.readAllBytes(stopped.resolve(RunFolder.MODEL)))
        .isEqualTo(Files.readAllBytes(straight.resolve(RunFolder.MODEL)));
    // the same run with static masks: the first epoch is the same, the later ones are not
    Path fixed = tmp.resolve("static");
    RunConfig staticConfig = new RunConfig(config.model(), new DataConfig(24, 5, 3), t, List.of("cpu"), "sha", "test");
    new Pretrainer(staticConfig, List.of("cpu")).run(
        new Pretrainer.Data(train.examples(), VALID.examples(), train.vocab()), new RunFolder(fixed), false, count,
        () -> false);
    List<StepMetrics> a = MetricsLog.read(straight.resolve(RunFolder.METRICS), 99);
    List<StepMetrics> b = MetricsLog.read(fixed.resolve(RunFolder.METRICS), 99);
    assertThat(a.get(0).mlmLoss()).isEqualTo(b.get(0).mlmLoss());
    assertThat(a.get(5).mlmLoss()).isNotEqualTo(b.get(5).mlmLoss());
  }

  @Test
  void aStopInTheMiddleOfAStepKeepsThePreviousStepAndResumesExactly(@TempDir Path tmp) throws Exception {
    Path straight = tmp.resolve("straight");
    Path stopped = tmp.resolve("stopped");
    run(config(5, 3e-3f, 0), straight, false, Integer.MAX_VALUE);
    // the stop comes true during step 3, after its first micro-batch: the step is dropped, not half applied
    AtomicInteger done = new AtomicInteger();
    AtomicInteger polls = new AtomicInteger();
    Pretrainer.Listener count = new Pretrainer.Listener() {
      @Override
      public void onStep(StepMetrics m) {
        done.set(m.step());
      }
    };
    TrainingSummary s = new Pretrainer(config(5, 3e-3f, 0), List.of("cpu")).run(DATA, new RunFolder(stopped),
        false, count, () -> done.get() == 2 && polls.incrementAndGet() > 2);
    assertThat(s.interrupted()).isTrue();
    assertThat(s.steps()).isEqualTo(2);
    assertThat(SafeTensors.readMetadata(stopped.resolve(RunFolder.CHECKPOINT))).containsEntry("step", "2")
        .containsEntry("batch_position", "2");
    run(config(5, 3e-3f, 0), stopped, true, Integer.MAX_VALUE);
    assertThat(Files.readAllBytes(stopped.resolve(RunFolder.MODEL)))
        .isEqualTo(Files.readAllBytes(straight.resolve(RunFolder.MODEL)));
  }

  @Test
  void evaluationRunsAtTheIntervalAndTheEndReportsProgressAndCanBeSkipped(@TempDir Path tmp) {
    List<Integer> evals = new java.util.ArrayList<>();
    List<String> progress = new java.util.ArrayList<>();
    Pretrainer.Listener record = new Pretrainer.Listener() {
      @Override
      public void onEvalProgress(int step, int done, int total) {
        progress.add(step + ":" + done + "/" + total);
      }

      @Override
      public void onEval(int step, EvalResult r) {
        evals.add(step);
      }
    };
    RunConfig every2 = config(config(5, 3e-3f, 0).train().toBuilder().evalEvery(2).build());
    TrainingSummary s = new Pretrainer(every2, List.of("cpu"))
        .run(DATA, new RunFolder(tmp.resolve("a")), false, record, () -> false);
    assertThat(evals).containsExactly(2, 4, 5);
    int n = VALID.examples().size();
    assertThat(progress).contains("5:" + n + "/" + n).contains("2:" + Math.min(n, Evaluator.BATCH) + "/" + n);
    assertThat(s.valMlmLoss()).isFinite();

    evals.clear();
    RunConfig none = config(config(3, 3e-3f, 0).train().toBuilder().skipEval(true).build());
    TrainingSummary skipped = new Pretrainer(none, List.of("cpu"))
        .run(DATA, new RunFolder(tmp.resolve("b")), false, record, () -> false);
    assertThat(evals).isEmpty();
    assertThat(skipped.valMlmLoss()).isNaN();
  }

  @Test
  void aResumedRunEndsWithTheWeightsOfAnUninterruptedOne(@TempDir Path tmp) throws Exception {
    Path straight = tmp.resolve("straight");
    Path stopped = tmp.resolve("stopped");
    TrainingSummary full = run(config(6, 3e-3f, 0), straight, false, Integer.MAX_VALUE);
    TrainingSummary firstHalf = run(config(6, 3e-3f, 0), stopped, false, 3);
    assertThat(firstHalf.interrupted()).isTrue();
    assertThat(firstHalf.steps()).isEqualTo(3);
    TrainingSummary rest = run(config(6, 3e-3f, 0), stopped, true, Integer.MAX_VALUE);
    assertThat(rest.steps()).isEqualTo(6);
    assertThat(rest.interrupted()).isFalse();

    // same weights bit for bit, same per-step losses, same means over all six steps
    assertThat(Files.readAllBytes(stopped.resolve(RunFolder.MODEL)))
        .isEqualTo(Files.readAllBytes(straight.resolve(RunFolder.MODEL)));
    // the first half's losses come back from metrics.csv, written to 9 significant digits: each is off by at most
    // 5e-9 of its value, and so is their (positive) mean; 2e-8 relative allows that with a margin of 4
    Numeric.assertClose("mean mlm loss", rest.mlmLoss(), full.mlmLoss(), 2e-8);
    Numeric.assertClose("mean nsp loss", rest.nspLoss(), full.nspLoss(), 2e-8);
    assertThat(MetricsLog.read(stopped.resolve(RunFolder.METRICS), 99)).hasSize(6);
  }

  @Test
  void anInterruptedRunLeavesACompleteRunFolder(@TempDir Path dir) throws Exception {
    TrainingSummary s = run(config(50, 3e-3f, 0), dir, false, 2);
    assertThat(s.interrupted()).isTrue();
    for (String f : List.of(RunFolder.CONFIG, RunFolder.VOCAB, RunFolder.MODEL, RunFolder.METRICS,
        RunFolder.PLOT_PNG, RunFolder.PLOT_SVG, RunFolder.CHECKPOINT, RunFolder.SUMMARY)) {
      assertThat(dir.resolve(f)).isRegularFile();
    }
    assertThat(SafeTensors.readMetadata(dir.resolve(RunFolder.CHECKPOINT))).containsEntry("step", "2");
    try (var files = java.nio.file.Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void aNonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) {
    // an absurd learning rate throws the weights to ~1e30 after one step, so step 2's loss overflows
    assertThatThrownBy(() -> run(config(10, 1e30f, 1), dir, false, Integer.MAX_VALUE))
        .isInstanceOf(MicroBatches.NonFiniteLossException.class)
        .hasMessageContaining("not finite at step 2");
    assertThat(SafeTensors.readMetadata(dir.resolve(RunFolder.CHECKPOINT))).containsEntry("step", "1");
  }

  /** --precision bf16 on a CPU with bf16 instructions: bf16 matrix products, everything kept stays fp32. */
  @Test
  void bf16TrainingGivesTheLossesOfFp32AndKeepsFp32WeightsAndOptimiserState(@TempDir Path tmp) {
    assumeTrue(Precision.cpuHasBf16(), "this CPU has no bf16 instructions, so --precision bf16 runs fp32 on it");
    TrainConfig fp32 = config(8, 3e-3f, 0).train().toBuilder().skipEval(true).build();
    Path a = tmp.resolve("fp32");
    Path b = tmp.resolve("bf16");
    run(config(fp32), a, false, Integer.MAX_VALUE);
    run(config(fp32.toBuilder().precision(Precision.BF16).build()), b, false, Integer.MAX_VALUE);
    List<StepMetrics> x = MetricsLog.read(a.resolve(RunFolder.METRICS), 99);
    List<StepMetrics> y = MetricsLog.read(b.resolve(RunFolder.METRICS), 99);
    assertThat(y).hasSize(8);
    // bf16 products keep 8 significant bits (0.4% relative per rounding), but the losses are means over many slots
    // and LayerNorm, softmax and the losses stay fp32: seen, 2e-4 relative apart for MLM and 2.2e-3 for NSP (a mean
    // of 16 pairs near log 2) over eight steps. 2% is nine times the worst of them and still "a few percent"; weights
    // left in bf16, or updates lost to a stale bf16 copy of a weight, show in the dtypes below or grow step by step.
    boolean anyDiffers = false;
    double worst = 0;
    for (int i = 0; i < 8; i++) {
      Numeric.assertClose("bf16 mlm loss of step " + (i + 1), y.get(i).mlmLoss(), x.get(i).mlmLoss(), 0.02);
      Numeric.assertClose("bf16 nsp loss of step " + (i + 1), y.get(i).nspLoss(), x.get(i).nspLoss(), 0.02);
      worst = Math.max(worst, Math.max(Math.abs(y.get(i).mlmLoss() / x.get(i).mlmLoss() - 1),
          Math.abs(y.get(i).nspLoss() / x.get(i).nspLoss() - 1)));
      anyDiffers |= y.get(i).mlmLoss() != x.get(i).mlmLoss();
    }
    System.out.printf("bf16 vs fp32: largest relative loss difference over 8 steps %.2e%n", worst);
    assertThat(anyDiffers).as("bf16 products round differently from fp32 ones: autocast was on").isTrue();
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> weights = SafeTensors.read(b.resolve(RunFolder.MODEL), "cpu");
      Map<String, Tensor> checkpoint = SafeTensors.read(b.resolve(RunFolder.CHECKPOINT), "cpu");
      assertThat(weights).hasSize(45);
      assertThat(checkpoint).hasSize(3 * 45);
      weights.forEach((name, w) -> assertThat(Torch.dtype(w)).as(name).isEqualTo(ScalarType.Float));
      checkpoint.forEach((name, w) -> assertThat(Torch.dtype(w)).as(name).isEqualTo(ScalarType.Float));
    }
  }

  /**
   * The validation numbers against an independent computation: the run's saved weights (model.safetensors) run on all
   * held-out examples as one batch, untrimmed and unchunked, and the cross-entropies and arg-maxes worked out here in
   * float64 from the logits: the MLM loss as the mean over real prediction slots (padding slots excluded), accuracies
   * over real slots and over pairs. The run's EvalResult and summary must agree; perplexity is exp of the recomputed
   * loss.
   */
  @Test
  void validationMetricsMatchARecomputationFromTheSavedWeights(@TempDir Path dir) {
    RunConfig config = config(8, 1e-2f, 0);
    List<EvalResult> evals = new ArrayList<>();
    TrainingSummary s = new Pretrainer(config, List.of("cpu")).run(DATA, new RunFolder(dir), false,
        new Pretrainer.Listener() {
          @Override
          public void onEval(int step, EvalResult result) {
            evals.add(result);
          }
        }, () -> false);
    assertThat(evals).hasSize(1);
    EvalResult eval = evals.get(0);

    double mlmSum = 0;
    double nspSum = 0;
    int slots = 0;
    int mlmCorrect = 0;
    int nspCorrect = 0;
    int nearTies = 0; // arg-maxes that float rounding between batch shapes could flip
    long parameterCount;
    try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
      Map<String, Tensor> weights = SafeTensors.read(dir.resolve(RunFolder.MODEL), "cpu");
      assertThat(weights).hasSize(45).containsKey("encoder.token_embedding.weight");
      parameterCount = weights.values().stream().mapToLong(Tensor::numel).sum();
      try (BertModel model = BertModel.fromParameters(config.model(), "cpu", weights)) {
        // all held-out pairs in one untrimmed batch (the evaluator cuts padding and runs parts of 8)
        List<PretrainingExample> examples = VALID.examples();
        int b = examples.size();
        int len = examples.get(0).tokenIds().length;
        int preds = examples.get(0).predPositions().length;
        long[] tokens = new long[b * len];
        long[] segments = new long[b * len];
        float[] validLens = new float[b];
        long[] positions = new long[b * preds];
        for (int i = 0; i < b; i++) {
          PretrainingExample e = examples.get(i);
          for (int t = 0; t < len; t++) {
            tokens[i * len + t] = e.tokenIds()[t];
            segments[i * len + t] = e.segments()[t];
          }
          validLens[i] = e.validLen();
          for (int k = 0; k < preds; k++) {
            positions[i * preds + k] = e.predPositions()[k];
          }
        }
        BertOutput out = model.forward(Torch.longs(tokens, b, len), Torch.longs(segments, b, len),
            Torch.floats(validLens), Torch.longs(positions, b, preds), null); // no dropout keys: inference
        float[] mlm = Torch.toFloats(out.mlmLogitsOrNull()); // (B, P, V)
        float[] nsp = Torch.toFloats(out.nspLogits()); // (B, 2)
        int v = (int) out.mlmLogitsOrNull().size(2);
        for (int i = 0; i < b; i++) {
          PretrainingExample e = examples.get(i);
          for (int k = 0; k < preds; k++) {
            if (e.mlmWeights()[k] == 0f) {
              continue;
            }
            int at = (i * preds + k) * v;
            double[] row = Numeric.widen(Arrays.copyOfRange(mlm, at, at + v));
            mlmSum += crossEntropy(row, e.mlmLabels()[k]);
            slots++;
            mlmCorrect += argMax(row) == e.mlmLabels()[k] ? 1 : 0;
            nearTies += nearTie(row) ? 1 : 0;
          }
          double[] pair = Numeric.widen(Arrays.copyOfRange(nsp, 2 * i, 2 * i + 2));
          int label = e.isNext() ? 1 : 0;
          nspSum += crossEntropy(pair, label);
          nspCorrect += argMax(pair) == label ? 1 : 0;
          nearTies += nearTie(pair) ? 1 : 0;
        }
      }
    }
    int n = VALID.examples().size();
    double mlmLoss = mlmSum / slots;
    System.out.printf("validation: %d pairs, %d slots, mlm loss %.7f (recomputed %.7f), mlm accuracy %.4f (%d/%d),"
        + " nsp loss %.7f (%.7f), nsp accuracy %.4f (%d/%d), near ties %d%n", eval.examples(), slots, eval.mlmLoss(),
        mlmLoss, eval.mlmAccuracy(), mlmCorrect, slots, eval.nspLoss(), nspSum / n, eval.nspAccuracy(), nspCorrect, n,
        nearTies);
    assertThat(eval.examples()).isEqualTo(n);
    // float32 logits of the same example differ between batch shapes by about 1e-7 relative; means of
    // cross-entropies keep that order. 1e-5 relative leaves that a 100-fold margin; counting a padding slot, or
    // dividing by pairs instead of slots, moves the loss by far more.
    Numeric.assertClose("mlm loss", eval.mlmLoss(), mlmLoss, 1e-5);
    Numeric.assertClose("perplexity", eval.perplexity(), Math.exp(mlmLoss), 1e-5 * Math.max(1, mlmLoss));
    Numeric.assertClose("nsp loss", eval.nspLoss(), nspSum / n, 1e-5);
    assertThat(Math.abs(eval.mlmAccuracy() * slots - mlmCorrect)
        + Math.abs(eval.nspAccuracy() * n - nspCorrect)).as("accuracy counts").isLessThanOrEqualTo(nearTies + 1e-6);
    assertThat(mlmCorrect).as("a trained model gets some masked tokens right").isPositive();
    // the summary reports the same final evaluation
    assertThat(s.valMlmLoss()).isEqualTo(eval.mlmLoss());
    assertThat(s.valMlmAccuracy()).isEqualTo(eval.mlmAccuracy());
    assertThat(s.valPerplexity()).isEqualTo(eval.perplexity());
    assertThat(s.valNspAccuracy()).isEqualTo(eval.nspAccuracy());
    assertThat(s.params()).isEqualTo(parameterCount);
  }

  /** -log softmax(logits)[label], computed with the maximum subtracted. */
  private static double crossEntropy(double[] logits, int label) {
    double max = Arrays.stream(logits).max().orElseThrow();
    double sum = 0;
    for (double l : logits) {
      sum += Math.exp(l - max);
    }
    return Math.log(sum) + max - logits[label];
  }

  private static int argMax(double[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Whether the two largest values are within 1e-5 of the row's scale (an arg-max that rounding could flip). */
  private static boolean nearTie(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length - 1] - sorted[sorted.length - 2] <= 1e-5 * Numeric.maxAbs(values);
  }
}
