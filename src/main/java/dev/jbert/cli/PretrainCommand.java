package dev.jbert.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.jbert.JbertException;
import dev.jbert.JbertVersion;
import dev.jbert.data.Corpus;
import dev.jbert.data.DataConfig;
import dev.jbert.data.PretrainingDataset;
import dev.jbert.data.PretrainingExample;
import dev.jbert.data.Vocab;
import dev.jbert.model.BertConfig;
import dev.jbert.train.DeviceSpec;
import dev.jbert.train.EvalResult;
import dev.jbert.train.Evaluator;
import dev.jbert.train.Pretrainer;
import dev.jbert.train.RunConfig;
import dev.jbert.train.RunFolder;
import dev.jbert.train.StepMetrics;
import dev.jbert.train.TrainConfig;
import dev.jbert.train.TrainingSummary;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code jbert pretrain}: the reference pretraining run of spec section 8, or any variation of it. */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
      "Pretrain BERT (masked LM + next sentence prediction) on WikiText-2 and write a run folder:",
      "config.json, vocab.txt, model.safetensors, metrics.csv, loss.png/.svg, checkpoint.safetensors, summary.json.",
      "Defaults are d2l's reference run: batch 512, max_len 64, 50 steps, Adam lr 3e-3."
    })
public final class PretrainCommand implements Callable<Integer> {
  static final int EXIT_INTERRUPTED = 130;

  @Mixin DataOptions dataOptions;
  @Mixin Verbosity verbosity;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--steps", paramLabel = "N", description = "Optimiser steps (default: 50; with --resume: the run's).")
  Integer steps;

  @Option(names = "--batch-size", paramLabel = "N", defaultValue = "512",
      description = "Sentence pairs per step, split across the devices (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--lr", paramLabel = "X", defaultValue = "3e-3",
      description = "Adam learning rate, constant (default: ${DEFAULT-VALUE}).")
  float lr;

  @Option(names = "--preset", paramLabel = "NAME", defaultValue = "d2l",
      description = "Model size: d2l (H 128, 2 layers), base or large (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--layers", paramLabel = "N", description = "Encoder blocks (default: the preset's).")
  Integer layers;

  @Option(names = "--hidden", paramLabel = "N", description = "Hidden size H (default: the preset's).")
  Integer hidden;

  @Option(names = "--heads", paramLabel = "N", description = "Attention heads; must divide H (default: the preset's).")
  Integer heads;

  @Option(names = "--ffn-hidden", paramLabel = "N", description = "Feed-forward inner size (default: the preset's).")
  Integer ffnHidden;

  @Option(names = "--dropout", paramLabel = "P", description = "Dropout probability (default: the preset's).")
  Float dropout;

  @Option(names = "--devices", paramLabel = "SPEC", defaultValue = "all",
      description = "cpu, gpu, gpu:0,1 or all = every GPU, else the CPU (default: ${DEFAULT-VALUE}).")
  String devices;

  @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/<date-time>).")
  Path out;

  @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate on wiki.valid.tokens every N steps;"
      + " 0 = only at the end (default: 0).")
  Integer evalEvery;

  @Option(names = "--checkpoint-every", paramLabel = "N", description = "Checkpoint every N steps; 0 = only at the"
      + " end and on Ctrl-C (default: 0).")
  Integer checkpointEvery;

  @Option(names = "--resume", paramLabel = "RUN", description = "Continue the run in this folder from its checkpoint,"
      + " with its own settings (only --steps, --devices, --data, --eval-every, --checkpoint-every and"
      + " --micro-batches apply).")
  Path resume;

  @Option(names = "--micro-batches", paramLabel = "N", description = "Run each device's share of a batch in N parts,"
      + " one after the other: same result, less memory (default: " + TrainConfig.DEFAULT_MICRO_BATCHES + ").")
  Integer microBatches;

  @Option(names = "--mlm-all-slots", description = "Run the MLM head on padded prediction slots too, as d2l does"
      + " (same loss, slower).")
  boolean mlmAllSlots;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Corpus corpus = dataOptions.openCorpus(err);
    RunFolder run = resume != null ? new RunFolder(resume) : new RunFolder(out == null ? defaultOut() : this.out);
    if (resume == null && Files.exists(run.file(RunFolder.CONFIG))) {
      throw new JbertException("the folder " + run.dir() + " already holds a run: pass another --out, or --resume "
          + run.dir() + " to continue it");
    }
    RunConfig saved = resume != null ? resumedConfig(run, corpus) : null;

    long t0 = System.nanoTime();
    PretrainingDataset train =
        PretrainingDataset.build(corpus.trainLines(), saved != null ? saved.data() : dataOptions.config());
    if (saved != null) {
      checkVocabulary(train.vocab(), run);
    }
    RunConfig config = saved != null ? saved : newConfig(corpus, train);
    List<PretrainingExample> valid = corpus.validLines()
        .map(lines -> PretrainingDataset.build(lines, train.vocab(),
            config.data().withSeed(Evaluator.VALIDATION_SEED)).examples())
        .orElse(List.of());
    err.printf(Locale.ROOT, "data: %d training pairs, %d validation pairs, vocabulary %d (%.1f s)%n",
        train.examples().size(), valid.size(), train.vocab().size(), (System.nanoTime() - t0) / 1e9);

    List<Device> deviceList = DeviceSpec.parse(devices, Engine.getInstance().getGpuCount());
    err.printf("run folder: %s%n", run.dir());
    AtomicBoolean stop = new AtomicBoolean();
    Signal.handle(new Signal("INT"), sig -> stop.set(true));
    TrainingSummary summary;
    try (ProgressListener progress = new ProgressListener(err, config.train().steps())) {
      summary = new Pretrainer(config, deviceList).run(
          new Pretrainer.Data(train.examples(), valid, train.vocab()), run, resume != null, progress, stop::get);
    }
    printSummary(out, summary, run);
    return summary.interrupted() ? EXIT_INTERRUPTED : 0;
  }

  private RunConfig newConfig(Corpus corpus, PretrainingDataset dataset) {
    DataConfig data = dataset.config();
    TrainConfig reference = TrainConfig.reference();
    TrainConfig train = new TrainConfig(batchSize, steps == null ? reference.steps() : steps, lr,
        reference.beta1(), reference.beta2(), reference.eps(), data.seed(),
        evalEvery == null ? 0 : evalEvery, checkpointEvery == null ? 0 : checkpointEvery, mlmAllSlots,
        microBatches == null ? reference.microBatches() : microBatches);
    return new RunConfig(modelConfig(dataset.vocab().size()), data, train, List.of(devices), corpus.trainSha256(),
        JbertVersion.get());
  }

  private BertConfig modelConfig(int vocabSize) {
    BertConfig p = BertConfig.preset(preset, vocabSize);
    return new BertConfig(vocabSize, hidden == null ? p.hidden() : hidden, ffnHidden == null ? p.ffnHidden() : ffnHidden,
        heads == null ? p.heads() : heads, layers == null ? p.layers() : layers,
        dropout == null ? p.dropout() : dropout, p.maxPositions());
  }

  private RunConfig resumedConfig(RunFolder run, Corpus corpus) {
    RunConfig saved = run.readConfig();
    if (!saved.dataSha256().equals(corpus.trainSha256())) {
      throw new JbertException("the training text differs from the one run " + run.dir() + " was started on (SHA-256 "
          + corpus.trainSha256() + " vs " + saved.dataSha256() + "): pass the same --data");
    }
    TrainConfig t = saved.train();
    TrainConfig train = new TrainConfig(t.batchSize(), steps == null ? t.steps() : steps, t.lr(), t.beta1(),
        t.beta2(), t.eps(), t.seed(), evalEvery == null ? t.evalEvery() : evalEvery,
        checkpointEvery == null ? t.checkpointEvery() : checkpointEvery, t.mlmAllSlots(),
        microBatches == null ? t.microBatches() : microBatches);
    return new RunConfig(saved.model(), saved.data(), train, List.of(devices), saved.dataSha256(),
        saved.jbertVersion());
  }

  private static void checkVocabulary(Vocab built, RunFolder run) {
    Vocab saved = Vocab.load(run.file(RunFolder.VOCAB));
    if (!saved.equals(built)) {
      throw new JbertException("the vocabulary built from the data differs from " + run.file(RunFolder.VOCAB)
          + ": the run was started with other data settings; pass the same --data");
    }
  }

  private static Path defaultOut() {
    return Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
  }

  private static void printSummary(PrintWriter out, TrainingSummary s, RunFolder run) {
    if (s.interrupted()) {
      out.printf("interrupted after step %d: checkpoint saved; continue with --resume %s%n", s.steps(), run.dir());
    }
    out.printf(Locale.ROOT, "MLM loss %.3f, NSP loss %.3f%n", s.mlmLoss(), s.nspLoss());
    out.printf(Locale.ROOT, "%.1f sentence pairs/sec on %s%n", s.pairsPerS(), s.devices());
    if (Double.isFinite(s.valMlmLoss())) {
      out.printf(Locale.ROOT, "validation: MLM loss %.3f, MLM accuracy %.3f, perplexity %.1f, NSP accuracy %.3f%n",
          s.valMlmLoss(), s.valMlmAccuracy(), s.valPerplexity(), s.valNspAccuracy());
    }
    out.printf("run folder: %s%n", run.dir());
    out.flush();
  }

  /** Draws the training progress on stderr: step, MLM loss, NSP loss and pairs/s. */
  private static final class ProgressListener implements Pretrainer.Listener, AutoCloseable {
    private final PrintWriter err;
    private final ProgressBar bar;

    ProgressListener(PrintWriter err, int steps) {
      this.err = err;
      this.bar = new ProgressBarBuilder()
          .setTaskName("pretrain")
          .setInitialMax(steps)
          .setUnit(" steps", 1)
          .setConsumer(new DelegatingProgressBarConsumer(line -> {
            err.print("\r" + line);
            err.flush();
          }))
          .build();
    }

    @Override
    public void onStep(StepMetrics m) {
      bar.stepTo(m.step());
      bar.setExtraMessage(String.format(Locale.ROOT, "mlm %.3f nsp %.3f %.0f pairs/s",
          m.mlmLoss(), m.nspLoss(), m.pairsPerS()));
    }

    @Override
    public void onEval(int step, EvalResult r) {
      err.printf(Locale.ROOT, "%nstep %d validation: MLM loss %.3f, MLM accuracy %.3f, NSP accuracy %.3f%n",
          step, r.mlmLoss(), r.mlmAccuracy(), r.nspAccuracy());
    }

    @Override
    public void close() {
      bar.close();
      err.println();
    }
  }
}
