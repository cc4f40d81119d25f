package dev.jbert.cli;

import dev.jbert.JbertException;
import dev.jbert.Json;
import dev.jbert.Precision;
import dev.jbert.data.DataConfig;
import dev.jbert.data.PretrainingCorpus;
import dev.jbert.data.PretrainingDataset;
import dev.jbert.dist.ProcessGroup;
import dev.jbert.model.BertConfig;
import dev.jbert.train.BenchResult;
import dev.jbert.train.Benchmark;
import dev.jbert.train.DeviceSpec;
import dev.jbert.train.Preset;
import dev.jbert.train.TrainConfig;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jbert bench}: steady-state pretraining speed of the d2l configuration on the real data. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure pretraining speed of the d2l configuration (batch 512, max_len 64) or another --preset on"
        + " WikiText-2:"
        + " pairs/s, ms per phase, achieved GFLOP/s against a 2048^3 matrix product, peak RSS.")
public final class BenchCommand implements Callable<Integer> {
  @Mixin DataOptions dataOptions;
  @Mixin DistOptions dist;
  @Mixin Verbosity verbosity;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--steps", paramLabel = "N", defaultValue = "20", description = "Timed steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--batch-size", paramLabel = "N", defaultValue = "512", description = "Sentence pairs per step (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--dropout", paramLabel = "P", defaultValue = "0.2",
      description = "Dropout probability; 0 measures what dropout costs (default: ${DEFAULT-VALUE}).")
  float dropout;

  @Option(names = "--preset", paramLabel = "NAME", defaultValue = "d2l",
      description = "Model size, as pretrain's --preset: d2l, base, large, bert-tiny ... bert-large (default:"
          + " ${DEFAULT-VALUE}); the dropout is --dropout's.")
  String preset;

  @Option(names = "--mlm-all-slots", description = "Run the MLM head on padded slots too, as d2l does.")
  boolean mlmAllSlots;

  @Option(names = "--micro-batches", paramLabel = "N", defaultValue = "" + TrainConfig.DEFAULT_MICRO_BATCHES,
      description = "Parts each batch runs in, one after the other (default: ${DEFAULT-VALUE}).")
  int microBatches;

  @Option(names = "--device", paramLabel = "D", defaultValue = "cpu",
      description = "cpu, gpu (GPU 0) or gpu:0,1 (one process each, as --nproc-per-node starts them) (default:"
          + " ${DEFAULT-VALUE}).")
  String device;

  @Mixin PrecisionOption precision;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (steps < 1) {
      throw new JbertException("--steps must be at least 1 (timed steps), got " + steps);
    }
    if (warmup < 0) {
      throw new JbertException("--warmup must be 0 or more, got " + warmup);
    }
    Preset.named(preset); // an unknown name stops here, not in every worker
    if (dist.launches(System.getenv(), DeviceSpec.parse(device).size())) {
      return dist.launch(spec.root().commandLine(), out, spec.commandLine().getErr());
    }
    ProcessGroup group = dist.join();
    int code = bench(out, group);
    if (group != null) {
      group.close(); // not after an error: the teardown of a group with a dead peer may wait for it; exit cleans up
    }
    return code;
  }

  /** The benchmark, alone or as one process of {@code group}; rank 0 prints it. */
  private int bench(PrintWriter out, ProcessGroup group) throws Exception {
    boolean reports = group == null || group.rank() == 0;
    PrintWriter err = reports ? spec.commandLine().getErr() : new PrintWriter(java.io.Writer.nullWriter());
    List<String> devices = DeviceSpec.parse(device);
    // one device per process: the k-th worker of a machine takes the k-th device of --device
    String on = devices.get(group == null ? 0 : group.world().localRank() % devices.size());
    Precision runs = precision.resolve(on, err);
    PretrainingCorpus corpus = dataOptions.openCorpus(err);
    DataConfig config = dataOptions.config();
    PretrainingDataset data = corpus.buildTrain(config, corpus.tokenizer(config.tokenizer()),
        dataOptions.exampleCache());
    TrainConfig train = TrainConfig.builder().batchSize(batchSize).steps(warmup + steps)
        .seed(dataOptions.config().seed()).mlmAllSlots(mlmAllSlots).microBatches(microBatches).precision(runs).build();
    BertConfig size = Preset.named(preset).model(data.vocab().size());
    BertConfig model = new BertConfig(size.vocabSize(), size.hidden(), size.ffnHidden(), size.heads(), size.layers(),
        dropout, size.maxPositions(), size.arch());
    BenchResult r = Benchmark.run(model, train, data.examples(), warmup, steps, on, group);
    if (!reports) {
      return 0;
    }
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("preset", preset);
      m.put("device", on);
      m.put("precision", runs.flag());
      m.put("pairs_per_s", r.pairsPerS());
      m.put("step_ms", r.stepMs());
      m.put("data_ms", r.dataMs());
      m.put("forward_ms", r.forwardMs());
      m.put("backward_ms", r.backwardMs());
      m.put("optimizer_ms", r.optimizerMs());
      m.put("model_gflops", r.modelGflops());
      m.put("matmul_gflops", r.matmulGflops());
      m.put("flop_ratio", r.flopRatio());
      m.put("peak_rss_mb", r.peakRssMb());
      m.put("processes", r.processes());
      m.put("allreduce_ms", r.allreduceMs());
      m.put("allreduce", r.allreduce());
      m.put("buckets", r.buckets());
      m.put("buckets_during_backward", r.bucketsDuringBackward());
      out.println(Json.mapper().writeValueAsString(m));
    } else {
      out.printf(Locale.ROOT, "%s, %s: %.1f sentence pairs/s, %.0f ms/step (data %.1f, forward %.0f, backward %.0f,"
          + " optimizer %.0f)%n", on, runs.flag(), r.pairsPerS(), r.stepMs(), r.dataMs(), r.forwardMs(), r.backwardMs(),
          r.optimizerMs());
      out.printf(Locale.ROOT, "model %.1f GFLOP/s = %.2f x the %.1f GFLOP/s of a 2048^3 %s matmul; peak RSS %.0f MB%n",
          r.modelGflops(), r.flopRatio(), r.matmulGflops(), runs.flag(), r.peakRssMb());
      if (r.processes() > 1) {
        out.printf(Locale.ROOT, "%d processes: all-reduce of the gradients %.1f ms/step after backward (%.1f%% of the"
            + " step), %s: %.1f of %d buckets sent during backward%n", r.processes(), r.allreduceMs(),
            100 * r.allreduceMs() / r.stepMs(), r.allreduce(), r.bucketsDuringBackward(), r.buckets());
      }
    }
    out.flush();
    return 0;
  }
}
