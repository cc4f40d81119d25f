package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.Precision;
import dev.jbert.Torch;
import dev.jbert.data.HostBatch;
import dev.jbert.dist.GradientAllreduce;
import dev.jbert.dist.GradientAllreduce.Timing;
import dev.jbert.dist.ProcessGroup;
import dev.jbert.dist.World;
import dev.jbert.model.BertModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gradient sum over two ranks (two threads of this JVM, each with its own Gloo group on 127.0.0.1), with the
 * all-reduce overlapped with backward and after it: both give every rank the whole batch's gradient, the same bits.
 */
class GradientSumTest {
  /** What a rank saw: its gradients after each of two steps, its buckets, and how many went during backward. */
  private record Rank(List<Map<String, float[]>> steps, int buckets, int duringBackward) {}

  @Test
  void overlappedAndAfterBackwardSumsGiveEveryRankTheWholeBatchsGradient(@TempDir Path tmp) throws Exception {
    HostBatch batch = TrainingTest.batches(1, 15).get(0);
    Map<String, float[]> whole;
    try (PointerScope scope = new PointerScope();
        BertModel model = BertModel.create(TrainingTest.tiny(0.2f), ScalarType.Float, "cpu", 5)) {
      new MicroBatches(model, false, 2, Precision.FP32).forwardBackward(batch, 1, 12345);
      whole = gradients(model);
    }
    // small buckets, so that the tiny model's run in several, some ready only at the end of backward
    List<Rank> overlapped = twoRanks(tmp.resolve("overlapped"), batch, Timing.OVERLAPPED, 2000);
    List<Rank> after = twoRanks(tmp.resolve("after"), batch, Timing.AFTER_BACKWARD, Long.MAX_VALUE);

    assertThat(overlapped.get(0).buckets()).isGreaterThan(3);
    // the MLM head's buckets go before backward reaches anything; the embeddings' at its end, in their hooks
    assertThat(overlapped.get(0).duringBackward()).isEqualTo(overlapped.get(0).buckets());
    assertThat(after.get(0).buckets()).isEqualTo(1);
    assertThat(after.get(0).duringBackward()).isZero();
    for (int step = 0; step < 2; step++) {
      for (int r = 0; r < 2; r++) {
        Map<String, float[]> o = overlapped.get(r).steps().get(step);
        // two ranks: each sum is a + b, whatever the bucket; and in a hook, the earlier parts' gradient + the last
        // part's is the sum that libtorch adds up after it
        assertThat(o.keySet()).containsExactlyElementsOf(whole.keySet());
        for (String name : whole.keySet()) {
          assertThat(o.get(name)).as("rank %d, step %d, %s: overlapped vs after backward", r, step, name)
              .containsExactly(after.get(r).steps().get(step).get(name));
          assertThat(o.get(name)).as("rank %d vs rank 0, %s", r, name)
              .containsExactly(overlapped.get(0).steps().get(step).get(name));
        }
        TrainingTest.assertSameGradients(o, whole);
      }
    }
  }

  /** Two ranks, each on its share of {@code batch} in 2 micro-batches, twice (the hooks arm again each step). */
  private static List<Rank> twoRanks(Path dir, HostBatch batch, Timing timing, long bucketElements) throws Exception {
    Files.createDirectories(dir);
    List<BertModel> models = new ArrayList<>();
    for (int r = 0; r < 2; r++) { // made one after the other: the initial weights come from torch's one generator
      models.add(BertModel.create(TrainingTest.tiny(0.2f), ScalarType.Float, "cpu", 5));
    }
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Rank>> ranks = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        ranks.add(pool.submit(() -> rank(rank, models.get(rank), dir.resolve("port"), batch, timing, bucketElements)));
      }
      List<Rank> out = new ArrayList<>();
      for (Future<Rank> f : ranks) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
      models.forEach(BertModel::close);
    }
  }

  private static Rank rank(int rank, BertModel model, Path portFile, HostBatch batch, Timing timing,
      long bucketElements) {
    World world = new World(rank, 2, rank, "127.0.0.1", 0, portFile, Duration.ofSeconds(60));
    try (ProcessGroup group = ProcessGroup.join(world, timing);
        GradientAllreduce sums = new GradientAllreduce(group, model.parameters(), timing, bucketElements)) {
      MicroBatches parts = new MicroBatches(model, false, 2, Precision.FP32);
      List<Map<String, float[]>> steps = new ArrayList<>();
      for (int step = 0; step < 2; step++) {
        try (PointerScope scope = new PointerScope()) {
          model.parameters().values().forEach(p -> {
            if (p.grad().defined()) {
              p.grad().zero_();
            }
          });
          parts.forwardBackward(BatchParts.share(batch, rank, 2),
              BatchParts.weightSum(batch) + PretrainingLoss.WEIGHT_EPS, batch.size(), 1, 12345, new PhaseTimes(),
              () -> false, sums::beforeLastBackward);
          sums.finish();
          steps.add(gradients(model));
        }
      }
      return new Rank(steps, sums.bucketCount(), sums.bucketsDuringBackward());
    }
  }

  private static Map<String, float[]> gradients(BertModel model) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
      out.put(e.getKey(), Torch.toFloats(e.getValue().grad()));
    }
    return out;
  }
}
