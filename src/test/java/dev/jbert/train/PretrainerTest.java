package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.jbert.data.DataConfig;
import dev.jbert.data.PretrainingDataset;
import dev.jbert.model.BertConfig;
import dev.jbert.model.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
    return new Pretrainer(config, List.of(Device.cpu()))
        .run(DATA, new RunFolder(dir), resume, count, () -> done.get() >= stopAfter);
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
      assertThat(b.get(i).mlmLoss()).as("step %d", i + 1).isCloseTo(a.get(i).mlmLoss(), within(1e-5 * a.get(i).mlmLoss()));
      assertThat(b.get(i).nspLoss()).as("step %d", i + 1).isCloseTo(a.get(i).nspLoss(), within(1e-5 * a.get(i).nspLoss()));
    }
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, ai.djl.ndarray.NDArray> x = SafeTensors.read(straight.resolve(RunFolder.MODEL), m);
      Map<String, ai.djl.ndarray.NDArray> y = SafeTensors.read(split.resolve(RunFolder.MODEL), m);
      for (String name : x.keySet()) {
        if (name.endsWith("attention.W_k.bias")) {
          // its true gradient is 0 (a bias on every key of a query shifts its softmax row by a constant), so it
          // moves only by rounding noise, which Adam's division by sqrt(v) scales up to +-lr a step
          continue;
        }
        float[] e = x.get(name).toFloatArray();
        float[] g = y.get(name).toFloatArray();
        double scale = 0;
        for (float v : e) {
          scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
          assertThat((double) g[i]).as(name + "[" + i + "]").isCloseTo(e[i], within(1e-4 * scale));
        }
      }
    }
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
    TrainingSummary s = new Pretrainer(config(5, 3e-3f, 0), List.of(Device.cpu())).run(DATA, new RunFolder(stopped),
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
    TrainingSummary s = new Pretrainer(every2, List.of(Device.cpu()))
        .run(DATA, new RunFolder(tmp.resolve("a")), false, record, () -> false);
    assertThat(evals).containsExactly(2, 4, 5);
    int n = VALID.examples().size();
    assertThat(progress).contains("5:" + n + "/" + n).contains("2:" + Math.min(n, Evaluator.BATCH) + "/" + n);
    assertThat(s.valMlmLoss()).isFinite();

    evals.clear();
    RunConfig none = config(config(3, 3e-3f, 0).train().toBuilder().skipEval(true).build());
    TrainingSummary skipped = new Pretrainer(none, List.of(Device.cpu()))
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
    // the first half's losses come back from metrics.csv, written to 9 significant digits
    assertThat(rest.mlmLoss()).isCloseTo(full.mlmLoss(), within(1e-7));
    assertThat(rest.nspLoss()).isCloseTo(full.nspLoss(), within(1e-7));
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
        .isInstanceOf(DataParallel.NonFiniteLossException.class)
        .hasMessageContaining("not finite at step 2");
    assertThat(SafeTensors.readMetadata(dir.resolve(RunFolder.CHECKPOINT))).containsEntry("step", "1");
  }

  @Test
  void evaluationReportsConsistentMetrics(@TempDir Path dir) {
    TrainingSummary s = run(config(3, 3e-3f, 0), dir, false, Integer.MAX_VALUE);
    assertThat(s.valPerplexity()).isCloseTo(Math.exp(s.valMlmLoss()), within(1e-9));
    assertThat(s.valMlmAccuracy()).isBetween(0.0, 1.0);
    assertThat(s.valNspAccuracy()).isBetween(0.0, 1.0);
    assertThat(s.params()).isGreaterThan(0);
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, ?> weights = SafeTensors.read(dir.resolve(RunFolder.MODEL), m);
      assertThat(weights).hasSize(45).containsKey("encoder.token_embedding.weight");
    }
  }
}
