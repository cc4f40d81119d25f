package dev.jbert.cli;

import dev.jbert.data.ExampleCache;
import dev.jbert.data.PretrainingCorpus;
import dev.jbert.data.Tokenizer;
import dev.jbert.dist.ProcessGroup;
import dev.jbert.train.EvalResult;
import dev.jbert.train.DeviceSpec;
import dev.jbert.train.Pretraining;
import dev.jbert.train.RunFolder;
import dev.jbert.train.StepMetrics;
import dev.jbert.train.TrainConfig;
import dev.jbert.train.TrainingSummary;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jbert pretrain}: the reference pretraining run of spec section 8, or any variation of it. */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
      "Pretrain BERT (masked LM + next sentence prediction) on WikiText-2 or your own text and write a run folder:",
      "config.json, vocab.txt, model.safetensors, metrics.csv, loss.png/.svg, checkpoint.safetensors, summary.json",
      "(with --tokenizer wordpiece also Hugging Face's tokenizer.json and tokenizer_config.json).",
      "Defaults are d2l's reference run: batch 512, max_len 64, 50 steps, Adam lr 3e-3.",
      "Ctrl-C stops within seconds and leaves a run folder that --resume continues; a second Ctrl-C aborts at once."
    })
public final class PretrainCommand implements Callable<Integer> {
  static final int EXIT_INTERRUPTED = 130;

  @Mixin DataOptions dataOptions;
  @Mixin DistOptions dist;
  @Mixin Verbosity verbosity;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--steps", paramLabel = "N", description = "Optimiser steps (default: 50; with --resume: the run's).")
  Integer steps;

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Sentence pairs per step, split across the processes (default: 512).")
  Integer batchSize;

  @Option(names = "--lr", paramLabel = "X",
      description = "Peak learning rate (default: the preset's: d2l 3e-3, base, large and bert-* 1e-4).")
  Float lr;

  @Option(names = "--warmup-steps", paramLabel = "N", description = "Steps over which the learning rate rises"
      + " linearly to --lr (default: the preset's: d2l 0, the others 1%% of the run, as BERT's 10k of 1M).")
  Integer warmupSteps;

  @Option(names = "--preset", paramLabel = "NAME",
      description = "Model size and its recipe: d2l (H 128, 2 layers), base or large (d2l's network), or BERT's"
          + " network at Google's sizes with BERT's recipe (AdamW, linear decay, clipping): bert-tiny (2 layers,"
          + " H 128), bert-mini (4, 256), bert-small (4, 512), bert-medium (8, 512), bert-base (12, 768),"
          + " bert-large (24, 1024) (default: d2l).")
  String preset;

  @Option(names = "--init", paramLabel = "MODEL", description = "Continue pretraining this model on your text"
      + " (domain-adaptive pretraining): a Hugging Face BERT folder (config.json, model.safetensors, vocab.txt) or a"
      + " run pretrained with --tokenizer wordpiece. Its architecture, sizes and WordPiece vocabulary are kept; the"
      + " recipe is BERT's (AdamW, lr 1e-4, warmup 1%%, linear decay, clipping) unless set.")
  Path init;

  @Option(names = "--arch", paramLabel = "NAME", description = "The network: d2l (d2l's BERTModel) or bert (Hugging"
      + " Face's BertForPreTraining: embedding LayerNorm, GELU, tied decoder; exportable with jbert export)"
      + " (default: the preset's).")
  String arch;

  @Option(names = "--optimizer", paramLabel = "NAME", description = "adam (torch.optim.Adam) or adamw (AdamW with"
      + " BERT's weight decay 0.01 on weights, not on biases and LayerNorm) (default: the preset's: bert-* adamw).")
  String optimizer;

  @Option(names = "--schedule", paramLabel = "NAME", description = "The learning rate after the warmup: constant or"
      + " linear (down to 0 at the last step) (default: the preset's: bert-* linear).")
  String schedule;

  @Option(names = "--clip-grad-norm", paramLabel = "X", description = "Clip the gradients' global L2 norm to X before"
      + " each update; 0 = none (default: the preset's: bert-* 1.0, the others 0).")
  Float clipGradNorm;

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

  @Option(names = "--devices", paramLabel = "SPEC",
      description = "cpu, gpu, gpu:0,1 or all = every GPU, else the CPU (default: all; with --resume: the run's)."
          + " Several GPUs start one process each, as --nproc-per-node does.")
  String devices;

  @Mixin PrecisionOption precision;

  @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: runs/<date-time>).")
  Path out;

  @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate on the validation text every N steps and"
      + " at the end; 0 = never (default: only at the end).")
  Integer evalEvery;

  @Option(names = "--checkpoint-every", paramLabel = "N", description = "Checkpoint every N steps; 0 = only at the"
      + " end and on Ctrl-C (default: 0).")
  Integer checkpointEvery;

  @Option(names = "--resume", paramLabel = "RUN", description = "Continue the run in this folder from its checkpoint,"
      + " with its own settings and corpus (recorded in config.json); only --steps, --devices, --data (the same text,"
      + " moved), --eval-every, --checkpoint-every and --micro-batches may be passed (and --tokenizer, when it is the"
      + " run's), and config.json records what they changed.")
  Path resume;

  @Option(names = "--micro-batches", paramLabel = "N", description = "Run each device's share of a batch in N parts,"
      + " one after the other: the same step up to float rounding (dropout masks are drawn per example), less memory"
      + " (default: " + TrainConfig.DEFAULT_MICRO_BATCHES + ").")
  Integer microBatches;

  /** When the masked-LM targets are drawn. */
  enum Masking {
    STATIC,
    DYNAMIC
  }

  @Option(names = "--masking", paramLabel = "WHEN", description = "static: the masks drawn once when the examples are"
      + " built (d2l); dynamic: new masks every epoch after the first, as RoBERTa (default: static).")
  Masking masking;

  @Option(names = "--mlm-all-slots", description = "Run the MLM head on padded prediction slots too, as d2l does"
      + " (same loss, slower).")
  boolean mlmAllSlots;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    // a resume without --devices trains on the run's
    String deviceSpec = devices != null ? devices
        : resume != null ? String.join(",", new RunFolder(resume).readConfig().devices()) : "all";
    if (dist.launches(System.getenv(), DeviceSpec.parse(deviceSpec).size())) {
      return dist.launch(spec.root().commandLine(), out, err);
    }
    ProcessGroup group = dist.join(); // first: a rank that cannot join says so before it reads any data
    int code = train(out, err, group);
    if (group != null) {
      group.close(); // not after an error: the teardown of a group with a dead peer may wait for it; exit cleans up
    }
    return code;
  }

  /** The run, alone or as one process of {@code group}; rank 0 reports it, the other ranks stay quiet. */
  private int train(PrintWriter out, PrintWriter err, ProcessGroup group) {
    boolean reports = group == null || group.rank() == 0;
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    // a resume without --data reads the run's own corpus
    Pretraining.Builder b = Pretraining.builder()
        .corpus(dataOptions.spec(resume == null ? dataOptions.paths(err) : dataOptions.data))
        .cache(dataOptions.exampleCache());
    if (parsed.hasMatchedOption("--max-len")) {
      b.maxLen(dataOptions.maxLen);
    }
    if (parsed.hasMatchedOption("--seed")) {
      b.seed(dataOptions.seed);
    }
    if (dataOptions.maskRate != null) {
      b.maskRate(dataOptions.maskRate);
    }
    if (dataOptions.maskSplit != null) {
      b.maskSplit(dataOptions.maskSplit);
    }
    if (dataOptions.wholeWordMasking) {
      b.wholeWordMasking(true);
    }
    if (dataOptions.tokenizer != null) {
      b.tokenizer(dataOptions.tokenizer);
    }
    if (dataOptions.vocab != null) {
      b.vocab(dataOptions.vocab);
    }
    if (dataOptions.vocabSize != null) {
      b.vocabSize(dataOptions.vocabSize);
    }
    if (this.out != null) {
      b.out(this.out);
    }
    if (resume != null) {
      b.resume(resume);
    }
    if (steps != null) {
      b.steps(steps);
    }
    if (batchSize != null) {
      b.batchSize(batchSize);
    }
    if (lr != null) {
      b.lr(lr);
    }
    if (warmupSteps != null) {
      b.warmupSteps(warmupSteps);
    }
    if (init != null) {
      b.init(init);
    }
    if (preset != null) {
      b.preset(preset);
    }
    if (arch != null) {
      b.arch(arch);
    }
    if (optimizer != null) {
      b.optimizer(optimizer);
    }
    if (schedule != null) {
      b.schedule(schedule);
    }
    if (clipGradNorm != null) {
      b.clipGradNorm(clipGradNorm);
    }
    if (layers != null) {
      b.layers(layers);
    }
    if (hidden != null) {
      b.hidden(hidden);
    }
    if (heads != null) {
      b.heads(heads);
    }
    if (ffnHidden != null) {
      b.ffnHidden(ffnHidden);
    }
    if (dropout != null) {
      b.dropout(dropout);
    }
    if (devices != null) {
      b.devices(devices);
    }
    if (precision.requested() != null) {
      b.precision(precision.requested());
      precision.resolve(DeviceSpec.parse(devices != null ? devices : "all").get(0),
          reports ? err : new PrintWriter(java.io.Writer.nullWriter()));
    }
    if (evalEvery != null) {
      if (evalEvery == 0) {
        b.skipEval(true);
      } else {
        b.evalEvery(evalEvery);
      }
    }
    if (checkpointEvery != null) {
      b.checkpointEvery(checkpointEvery);
    }
    if (microBatches != null) {
      b.microBatches(microBatches);
    }
    if (mlmAllSlots) {
      b.mlmAllSlots(true);
    }
    if (masking != null) {
      b.dynamicMasking(masking == Masking.DYNAMIC);
    }
    TrainingSummary summary;
    RunFolder run;
    boolean ctrlC;
    try (Interrupts interrupts = Interrupts.install(err);
        ProgressListener progress = new ProgressListener(err, resume == null ? init : null)) {
      Pretraining pretraining = b.stopWhen(interrupts::requested).processGroup(group)
          .listener(reports ? progress : new Pretraining.Listener() {}).build();
      run = pretraining.runFolder();
      progress.run = run;
      summary = pretraining.run();
      ctrlC = interrupts.requested(); // also when it came after the last thing that could stop
    }
    if (reports) {
      printSummary(out, summary, run);
    }
    return summary.interrupted() || ctrlC ? EXIT_INTERRUPTED : 0;
  }

  private static void printSummary(PrintWriter out, TrainingSummary s, RunFolder run) {
    if (s.interrupted()) {
      out.printf("interrupted after step %d: checkpoint saved; continue with --resume %s%n",
          s.steps(), run.dir());
    }
    if (s.steps() > 0) {
      out.printf(Locale.ROOT, "MLM loss %.3f, NSP loss %.3f%n", s.mlmLoss(), s.nspLoss());
      out.printf(Locale.ROOT, "%.1f sentence pairs/sec on %s%n", s.pairsPerS(), s.devices());
    }
    if (Double.isFinite(s.valMlmLoss())) {
      out.printf(Locale.ROOT, "validation: MLM loss %.3f, MLM accuracy %.3f, perplexity %.1f, NSP accuracy %.3f%n",
          s.valMlmLoss(), s.valMlmAccuracy(), s.valPerplexity(), s.valNspAccuracy());
    }
    out.flush(); // the run folder was named on stderr when the run started
  }

  /**
   * Draws the run on stderr: the data line, the training progress (step, losses, pairs/s), evaluation progress and
   * the results of evaluations before the last (the last one is in the summary on stdout).
   */
  private static final class ProgressListener implements Pretraining.Listener, AutoCloseable {
    private final PrintWriter err;
    private final Path init;
    private RunFolder run;
    private PretrainingCorpus corpus;
    private String tokenizer;
    private Progress training;
    private Progress validation;
    private int steps;

    ProgressListener(PrintWriter err, Path init) {
      this.err = err;
      this.init = init;
    }

    @Override
    public void onCorpus(PretrainingCorpus corpus) {
      this.corpus = corpus; // said with the data line, so that a corpus that gives no examples is one error line
    }

    @Override
    public void onTokenizer(Tokenizer.Kind kind, String source) {
      tokenizer = kind == Tokenizer.Kind.WORDS ? null : "tokenizer: " + kind.cliName() + ", vocabulary " + source;
    }

    @Override
    public void onData(int trainPairs, int validPairs, int vocabSize, double seconds) {
      err.printf("corpus: %s, format %s%s%n", String.join(" ", corpus.spec().paths()), corpus.format().cliName(),
          corpus.detection().map(d -> " (detected: " + d + ")").orElse(""));
      if (tokenizer != null) { // d2l's words say nothing, as before the option existed
        err.println(tokenizer);
      }
      err.printf(Locale.ROOT, "data: %d training pairs, %d validation pairs, vocabulary %d (%.1f s)%n",
          trainPairs, validPairs, vocabSize, seconds);
      if (init != null) {
        err.printf("model: the weights of %s%n", init);
        ModelOption.noteNewHeads(err, init);
      }
      err.printf("run folder: %s%n", run.dir());
      err.flush();
    }

    @Override
    public void onCache(ExampleCache.Use use) {
      err.println(DataOptions.cacheLine(use));
      err.flush();
    }

    @Override
    public void onStart(int fromStep, int steps) {
      this.steps = steps;
      training = Progress.start(err, "pretrain", fromStep, steps, " steps");
    }

    @Override
    public void onStep(StepMetrics m) {
      training.update(m.step(), String.format(Locale.ROOT, "mlm %.3f nsp %.3f %.0f pairs/s",
          m.mlmLoss(), m.nspLoss(), m.pairsPerS()));
    }

    @Override
    public void onEvalProgress(int step, int done, int total) {
      if (validation == null) {
        closeTraining();
        validation = Progress.start(err, "validation", 0, total, " pairs");
      }
      validation.update(done, "");
    }

    @Override
    public void onEval(int step, EvalResult r) {
      closeValidation();
      if (step < steps) {
        err.printf(Locale.ROOT, "step %d validation: MLM loss %.3f, MLM accuracy %.3f, NSP accuracy %.3f%n",
            step, r.mlmLoss(), r.mlmAccuracy(), r.nspAccuracy());
        err.flush();
        training = Progress.start(err, "pretrain", step, steps, " steps");
      }
    }

    private void closeTraining() {
      if (training != null) {
        training.close();
        training = null;
      }
    }

    private void closeValidation() {
      if (validation != null) {
        validation.close();
        validation = null;
      }
    }

    @Override
    public void close() {
      closeTraining();
      closeValidation();
    }
  }
}
