package dev.jbert.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.jbert.data.BatchIterator;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingExample;
import dev.jbert.model.BertConfig;
import dev.jbert.model.BertModel;
import dev.jbert.model.GradMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Trains a model on real batches for a few warm-up steps and then a number of timed steps, and reports steady-state
 * speed, the time of each phase, and the achieved FLOP rate against a plain matrix product in the same process.
 */
public final class Benchmark {
  private Benchmark() {}

  public static BenchResult run(BertConfig modelConfig, TrainConfig train, List<PretrainingExample> examples,
      int warmup, int steps) {
    GradMode.off();
    double matmul = matmulGflops();
    try (NDManager root = NDManager.newBaseManager(Device.cpu());
        BertModel model = BertModel.create(modelConfig, root, DataType.FLOAT32, train.seed());
        Adam adam = new Adam(train.beta1(), train.beta2(), train.eps(), model.parameters(), root);
        DataParallel replicas =
            new DataParallel(model, List.of(Device.cpu()), root, train.mlmAllSlots(), train.microBatches())) {
      BatchIterator batches = new BatchIterator(examples, train.batchSize(), train.seed(), 0);
      TrainingStep trainingStep = new TrainingStep(train, model, adam, replicas);
      PhaseTimes times = new PhaseTimes();
      double flops = 0;
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
          for (HostBatch part : replicas.parts(batch)) { // the lengths actually run, after the padding is cut
            long rows = train.mlmAllSlots() ? (long) part.size() * part.maxPreds() : RealSlots.of(part).labels().length;
            flops += ModelFlops.perStep(modelConfig, part.size(), part.maxLen(), rows);
          }
        }
      }
      double seconds = timedNs / 1e9;
      double modelGflops = flops / seconds / 1e9;
      return new BenchResult(pairs / seconds, 1e3 * seconds / steps, times.dataMs() / steps,
          times.forwardMs() / steps, times.backwardMs() / steps, times.optimizerMs() / steps, modelGflops, matmul,
          modelGflops / matmul, peakRssMb());
    }
  }

  /** GFLOP/s of a 2048^3 fp32 matrix product: the best of 5 after 2 warm-ups, each in a closed scope. */
  static double matmulGflops() {
    int n = 2048;
    double best = Double.MAX_VALUE;
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
      NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
      for (int i = 0; i < 7; i++) {
        try (NDManager scope = m.newSubManager()) {
          long t0 = System.nanoTime();
          NDArray c = a.matMul(b);
          c.attach(scope);
          c.getFloat(0, 0);
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
