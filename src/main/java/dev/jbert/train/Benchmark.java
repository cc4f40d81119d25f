package dev.jbert.train;

import dev.jbert.Precision;
import dev.jbert.Torch;
import dev.jbert.data.BatchIterator;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingExample;
import dev.jbert.dist.GradientAllreduce;
import dev.jbert.dist.ProcessGroup;
import dev.jbert.model.BertConfig;
import dev.jbert.model.BertModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Trains a model on real batches for a few warm-up steps and then a number of timed steps, and reports steady-state
 * speed, the time of each phase, and the achieved FLOP rate against a plain matrix product in the same process and
 * precision. It runs {@link TrainingStep}, the step of a real run, on the device and in the precision given.
 */
public final class Benchmark {
  private Benchmark() {}

  /** @param device {@code cpu} or {@code cuda:N}; the precision is {@code train.precision()}, as it runs there */
  public static BenchResult run(BertConfig modelConfig, TrainConfig train, List<PretrainingExample> examples,
      int warmup, int steps, String device) {
    return run(modelConfig, train, examples, warmup, steps, device, null);
  }

  /**
   * As {@link #run(BertConfig, TrainConfig, List, int, int, String)}, as one process of {@code group} (null: alone):
   * every process runs the same steps on its share of each batch; pairs/s counts the whole batches.
   */
  public static BenchResult run(BertConfig modelConfig, TrainConfig train, List<PretrainingExample> examples,
      int warmup, int steps, String device, ProcessGroup group) {
    Precision precision = train.precisionMode().effective(device);
    double matmul;
    if (group == null) {
      matmul = matmulGflops(device, precision);
    } else {
      // the machine's rate is every process's at once, each on its share of the cores: all start together, and their
      // rates add up, so that flop_ratio compares the whole step's FLOPs with the whole machine's
      group.sum("a barrier", 0);
      matmul = group.sum("the matmul rates", matmulGflops(device, precision))[0];
    }
    try (BertModel model = BertModel.create(modelConfig, ScalarType.Float, device, train.seed());
        Adam adam = new Adam(train.beta1(), train.beta2(), train.eps(), train.weightDecay(), model.parameters());
        GradientAllreduce gradients = group == null ? null
            : new GradientAllreduce(group, model.parameters(), group.gradientTiming())) {
      BatchIterator batches = new BatchIterator(examples, train.batchSize(), train.seed(), 0);
      MicroBatches parts = new MicroBatches(model, train.mlmAllSlots(), train.microBatches(), precision);
      TrainingStep trainingStep = new TrainingStep(train, model, adam, parts, group, gradients);
      PhaseTimes times = new PhaseTimes();
      double flops = 0;
      long bucketsDuringBackward = 0;
      long pairs = 0;
      long timedNs = 0;
      for (int step = 0; step < warmup + steps; step++) {
        if (step == warmup) {
          times.reset();
        }
        long t0 = System.nanoTime();
        HostBatch batch = batches.next();
        long t1 = System.nanoTime();
        times.dataNs += t1 - t0;
        trainingStep.run(batch, step, times, () -> false);
        long t3 = System.nanoTime();
        if (step >= warmup) {
          timedNs += t3 - t0;
          pairs += batch.size();
          bucketsDuringBackward += gradients == null ? 0 : gradients.bucketsDuringBackward();
          // the lengths actually run by all processes, after the padding is cut
          for (HostBatch part : group == null ? parts.parts(batch) : allShares(parts, batch, group.size())) {
            long rows = train.mlmAllSlots() ? (long) part.size() * part.maxPreds() : RealSlots.of(part).labels().length;
            flops += ModelFlops.perStep(modelConfig, part.size(), part.maxLen(), rows);
          }
        }
      }
      double seconds = timedNs / 1e9;
      double modelGflops = flops / seconds / 1e9;
      return new BenchResult(pairs / seconds, 1e3 * seconds / steps, times.dataMs() / steps,
          times.forwardMs() / steps, times.backwardMs() / steps, times.optimizerMs() / steps, modelGflops, matmul,
          modelGflops / matmul, peakRssMb(), times.allreduceMs() / steps, group == null ? 1 : group.size(),
          gradients == null ? "" : gradients.timing().flag(), gradients == null ? 0 : gradients.bucketCount(),
          (double) bucketsDuringBackward / steps);
    }
  }

  /** The parts every process of a group runs, for the FLOP count of the whole step. */
  private static List<HostBatch> allShares(MicroBatches parts, HostBatch batch, int ranks) {
    List<HostBatch> all = new java.util.ArrayList<>();
    for (int r = 0; r < ranks; r++) {
      HostBatch share = BatchParts.share(batch, r, ranks);
      if (share.size() > 0) {
        all.addAll(parts.parts(share));
      }
    }
    return all;
  }

  /** GFLOP/s of a 2048^3 matrix product in {@code precision} on {@code device}: the best of 5 after 2 warm-ups. */
  static double matmulGflops(String device, Precision precision) {
    int n = 2048;
    double best = Double.MAX_VALUE;
    ScalarType dtype = precision == Precision.BF16 ? ScalarType.BFloat16 : ScalarType.Float;
    try (PointerScope scope = new PointerScope(); InferenceMode inference = new InferenceMode()) {
      Tensor a = torch.rand(n, n).to(Torch.device(device), dtype);
      Tensor b = torch.rand(n, n).to(Torch.device(device), dtype);
      for (int i = 0; i < 7; i++) {
        try (PointerScope each = new PointerScope()) {
          long t0 = System.nanoTime();
          a.matmul(b).select(0, 0).select(0, 0).item_double(); // item() waits for a GPU to finish
          long ns = System.nanoTime() - t0;
          if (i >= 2) {
            best = Math.min(best, ns);
          }
        }
      }
    }
    return 2.0 * n * n * n / best;
  }

  static double peakRssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException e) {
      // not Linux: report nothing rather than a wrong number
    }
    return Double.NaN;
  }
}
