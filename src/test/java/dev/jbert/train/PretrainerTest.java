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
    BertConfig model = new BertConfig(TRAIN.vocab().size(), 16, 32, 2, 2, 0.2f, 64);
    TrainConfig train = new TrainConfig(16, steps, lr, 0.9f, 0.999f, 1e-8f, 3, 0, checkpointEvery, false, 2);
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
    assertThat(MetricsLog.read(stopped.resolve(RunFolder.METRICS), 99).rows()).hasSize(6);
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
