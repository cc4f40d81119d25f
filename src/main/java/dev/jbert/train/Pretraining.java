package dev.jbert.train;

import dev.jbert.JbertException;
import dev.jbert.JbertVersion;
import dev.jbert.Precision;
import dev.jbert.data.CorpusLocator;
import dev.jbert.data.CorpusSpec;
import dev.jbert.data.DataConfig;
import dev.jbert.data.Downloader;
import dev.jbert.data.ExampleCache;
import dev.jbert.data.MaskConfig;
import dev.jbert.data.Mirror;
import dev.jbert.data.PretrainingCorpus;
import dev.jbert.data.PretrainingDataset;
import dev.jbert.data.PretrainingExample;
import dev.jbert.data.Tokenizer;
import dev.jbert.data.TokenizerConfig;
import dev.jbert.data.Vocab;
import dev.jbert.dist.ProcessGroup;
import dev.jbert.model.BertConfig;
import dev.jbert.model.ModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Pretraining from Java, as {@code ./jbert pretrain} does it: find the corpus, build the examples, start or continue a
 * run folder, train. Every setting left unset is the reference run's (or, on {@code resume}, the run's own).
 *
 * <pre>{@code
 * TrainingSummary s = Pretraining.builder().out(Path.of("runs/java")).steps(50).build().run();
 * }</pre>
 */
public final class Pretraining {
  /** What a run reports besides the training loop: the examples it built. */
  public interface Listener extends Pretrainer.Listener {
    /** The corpus is open (its format detected, when no format was given). */
    default void onCorpus(PretrainingCorpus corpus) {}


    /**
     * The tokenizer is ready: {@code source} says where its vocabulary came from (built from the text for d2l's words,
     * a folder, or trained on the training text).
     */
    default void onTokenizer(Tokenizer.Kind kind, String source) {}

    /** The examples are built: training pairs, validation pairs, vocabulary size, seconds it took. */
    default void onData(int trainPairs, int validPairs, int vocabSize, double seconds) {}

    /** The training examples are mapped from this cache file, reused or just written (not called without a cache). */
    default void onCache(ExampleCache.Use use) {}
  }

  private final Builder b;
  private final RunFolder run;

  private Pretraining(Builder b) {
    this.b = b;
    this.run = new RunFolder(b.resume != null ? b.resume : b.out != null ? b.out : defaultOut());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The run folder this run writes. */
  public RunFolder runFolder() {
    return run;
  }

  /** Builds the data and trains; the summary says whether it was interrupted. */
  public TrainingSummary run() {
    RunConfig saved = b.resume != null ? run.readConfig() : null;
    if (saved != null) {
      refuseRunSettings(saved);
    }
    List<String> devices = DeviceSpec.parse(b.devices != null ? b.devices
        : saved != null ? String.join(",", saved.devices()) : "all");
    Pretrainer.deviceOf(devices, b.group); // before anything is read or written
    PretrainingCorpus corpus = openCorpus(saved);
    b.listener.onCorpus(corpus);
    if (saved != null) {
      if (saved.corpus() != null && !reading(saved.corpus()).equals(reading(corpus.spec()))) {
        throw new JbertException("the corpus is read with " + reading(corpus.spec()) + ", but run " + run.dir()
            + " was started with " + reading(saved.corpus()) + ": resume it with its own settings");
      }
      if (!saved.dataSha256().equals(corpus.trainSha256())) {
        throw new JbertException("the training text differs from the one run " + run.dir() + " was started on"
            + " (SHA-256 " + corpus.trainSha256() + " vs " + saved.dataSha256() + "): pass the same --data");
      }
    } else if (writes() && Files.exists(run.file(RunFolder.CONFIG))) { // the others would see rank 0's new run
      throw new JbertException("the folder " + run.dir() + " already holds a run: pass another --out, or --resume "
          + run.dir() + " to continue it");
    }
    RunConfig config = saved != null ? resumedConfig(saved, corpus) : null;
    BertConfig init = saved == null && b.init != null ? initModel() : null;

    long t0 = System.nanoTime();
    DataConfig dataConfig = saved != null ? saved.data() : new DataConfig(
        b.maxLen != null ? b.maxLen : DataConfig.defaults().maxLen(), DataConfig.defaults().minFreq(),
        b.seed != null ? b.seed : DataConfig.defaults().seed(), b.dynamicMasking != null && b.dynamicMasking,
        masking(), tokenizerConfig());
    if (saved == null) { // before the examples are built: a long max_len takes memory
      (init != null ? init : preset().model(Vocab.RESERVED.size())).checkFits(dataConfig.maxLen());
    }
    TokenizerConfig tokenizerConfig = dataConfig.tokenizer();
    // a resumed WordPiece run encodes with its own copy: the --vocab folder may have moved or changed since
    boolean ownCopy = saved != null && tokenizerConfig.kindEnum() == Tokenizer.Kind.WORDPIECE;
    Tokenizer tokenizer = ownCopy ? Tokenizer.read(run.dir(), Tokenizer.Kind.WORDPIECE)
        : corpus.tokenizer(tokenizerConfig);
    b.listener.onTokenizer(tokenizerConfig.kindEnum(), ownCopy ? "the run's own, " + run.dir()
        : tokenizerConfig.kindEnum() == Tokenizer.Kind.WORDS ? "built from the training text"
        : tokenizerConfig.vocab() != null ? tokenizerConfig.vocab() : "trained on the training text");
    PretrainingDataset train = corpus.buildTrain(dataConfig, tokenizer, b.cache);
    if (saved == null) {
      config = newConfig(corpus, train, init);
    } else if (tokenizerConfig.kindEnum() == Tokenizer.Kind.WORDS) { // rebuilt from the text: it must be the run's
      Vocab savedVocab = Vocab.load(run.file(RunFolder.VOCAB));
      if (!savedVocab.equals(train.vocab())) {
        throw new JbertException("the vocabulary built from the data differs from " + run.file(RunFolder.VOCAB)
            + ": the run was started with other data settings; pass the same --data");
      }
    }
    DataConfig validConfig = config.data().withSeed(Evaluator.VALIDATION_SEED);
    List<PretrainingExample> valid = corpus.buildValid(train.vocab(), validConfig)
        .map(PretrainingDataset::examples)
        .orElse(List.of());
    b.listener.onData(train.examples().size(), valid.size(), train.vocab().size(), (System.nanoTime() - t0) / 1e9);
    train.cache().ifPresent(b.listener::onCache);

    if (b.group != null) {
      if (config.train().batchSize() < b.group.size()) {
        throw new JbertException("--batch-size " + config.train().batchSize() + " is smaller than the "
            + b.group.size() + " processes: each process needs at least one example a step");
      }
    }
    return new Pretrainer(config, devices, b.group).run(
        new Pretrainer.Data(train.examples(), valid, train.vocab(), train::examples), run, saved != null, b.listener,
        b.stop);
  }

  /**
   * The corpus: an opened one, or the spec given (with {@code data}), or on a resume the run's own (its paths replaced
   * by the spec's when it has some), else WikiText-2 looked up as {@code ./jbert} does.
   */
  private PretrainingCorpus openCorpus(RunConfig saved) {
    if (b.corpus != null) {
      return b.corpus;
    }
    CorpusSpec spec = b.corpusSpec;
    if (saved != null && saved.corpus() != null) {
      spec = spec == null || spec.paths().isEmpty() ? saved.corpus() : saved.corpus().withPaths(spec.paths());
    }
    if (spec == null || spec.paths().isEmpty()) {
      String wikiText = CorpusLocator.locate(null, System.getenv(),
          new Downloader(Mirror.WIKITEXT_2, Downloader.Listener.NONE)).toString();
      spec = spec == null ? CorpusSpec.of(Path.of(wikiText)) : spec.withPaths(List.of(wikiText));
    }
    return PretrainingCorpus.open(spec);
  }

  /** How a spec reads its text, paths aside: what a resume may not change. */
  private static String reading(CorpusSpec spec) {
    return "format " + spec.format() + ", locale " + (spec.locale() == null ? "root" : spec.locale())
        + ", validation " + (spec.valid().isEmpty() ? "share " + spec.validShare() : "files");
  }

  /**
   * The tokenizer the builder names: d2l's words unless {@code tokenizer("wordpiece")}; with {@code init}, the init
   * folder's WordPiece vocabulary.
   */
  private TokenizerConfig tokenizerConfig() {
    if (b.init != null) {
      return TokenizerConfig.of(Tokenizer.Kind.WORDPIECE.cliName(), b.init, null);
    }
    return TokenizerConfig.of(b.tokenizer, b.vocab, b.vocabSize);
  }

  /**
   * The architecture of the {@code init} folder, checked before any data is read: a model with a WordPiece vocabulary
   * (a Hugging Face BERT folder, or a jbert run pretrained with one) whose size and vocabulary no option overrides.
   */
  private BertConfig initModel() {
    Path dir = b.init;
    if (!Files.isDirectory(dir)) {
      throw new JbertException("no model folder at " + dir + ": --init takes a Hugging Face BERT folder (config.json,"
          + " model.safetensors, vocab.txt) or a jbert run folder");
    }
    List<String> fixed = new ArrayList<>();
    if (b.tokenizer != null && Tokenizer.Kind.parse(b.tokenizer) != Tokenizer.Kind.WORDPIECE) {
      fixed.add("--tokenizer " + b.tokenizer);
    }
    addIfSet(fixed, "--vocab", b.vocab);
    addIfSet(fixed, "--vocab-size", b.vocabSize);
    addIfSet(fixed, "--preset", b.preset);
    addIfSet(fixed, "--arch", b.arch);
    addIfSet(fixed, "--layers", b.layers);
    addIfSet(fixed, "--hidden", b.hidden);
    addIfSet(fixed, "--heads", b.heads);
    addIfSet(fixed, "--ffn-hidden", b.ffnHidden);
    if (!fixed.isEmpty()) {
      throw new JbertException(String.join(", ", fixed) + " cannot be passed with --init: the architecture, sizes"
          + " and WordPiece vocabulary are those of the model in " + dir + "; leave " + (fixed.size() == 1 ? "it" : "them")
          + " out");
    }
    BertConfig model = ModelFiles.config(dir);
    if (!Files.isRegularFile(dir.resolve(ModelFiles.WEIGHTS))) {
      throw new JbertException("no " + ModelFiles.WEIGHTS + " in " + dir + ": --init needs the model's weights in"
          + " safetensors format");
    }
    if (RunFolder.tokenizerKind(dir) != Tokenizer.Kind.WORDPIECE) {
      throw new JbertException("the model in " + dir + " has d2l's word vocabulary, built from its own text: --init"
          + " takes a model with a WordPiece vocabulary (a Hugging Face BERT folder, or a run pretrained with"
          + " --tokenizer wordpiece)");
    }
    return model;
  }

  /** The masked-LM rules: d2l's with what was set changed. */
  private MaskConfig masking() {
    MaskConfig m = MaskConfig.d2l();
    if (b.maskRate != null) {
      m = m.withRate(b.maskRate);
    }
    if (b.maskSplit != null) {
      m = m.withSplit(b.maskSplit);
    }
    return b.wholeWordMasking != null ? m.withWholeWord(b.wholeWordMasking) : m;
  }

  /**
   * The preset named, else d2l's; with {@code init}, BERT's recipe (AdamW, warmup, linear decay, clipping at lr 1e-4):
   * d2l's lr 3e-3 would wreck pretrained weights in a few steps.
   */
  private Preset preset() {
    return Preset.named(b.preset != null ? b.preset : b.init != null ? Preset.BERT_BASE.cliName() : Preset.D2L.cliName());
  }

  private RunConfig newConfig(PretrainingCorpus corpus, PretrainingDataset dataset, BertConfig init) {
    Preset preset = preset();
    TrainConfig.Builder t = TrainConfig.builder().seed(dataset.config().seed());
    int steps = b.steps != null ? b.steps : TrainConfig.reference().steps();
    t.steps(steps)
        .lr(b.lr != null ? b.lr : preset.lr())
        .warmupSteps(b.warmupSteps != null ? b.warmupSteps : preset.warmupSteps(steps));
    if (b.batchSize != null) {
      t.batchSize(b.batchSize);
    }
    if (b.mlmAllSlots != null) {
      t.mlmAllSlots(b.mlmAllSlots);
    }
    preset.recipe(t);
    if (b.optimizer != null) {
      // AdamW is BERT's optimizer with BERT's decay; plain Adam has none
      t.optimizer(b.optimizer).weightDecay(b.optimizer.equals(TrainConfig.ADAMW) ? Preset.BERT_WEIGHT_DECAY : 0f);
    }
    if (b.schedule != null) {
      t.schedule(b.schedule);
    }
    if (b.clipGradNorm != null) {
      t.clipGradNorm(b.clipGradNorm);
    }
    applyResumable(t);
    BertConfig p = init != null ? init : preset.model(dataset.vocab().size());
    if (p.vocabSize() != dataset.vocab().size()) {
      throw new JbertException("the vocabulary in " + b.init + " has " + dataset.vocab().size() + " tokens but its"
          + " model's vocab_size is " + p.vocabSize() + ": pass a folder whose vocab.txt belongs to its model");
    }
    BertConfig model = new BertConfig(p.vocabSize(), b.hidden != null ? b.hidden : p.hidden(),
        b.ffnHidden != null ? b.ffnHidden : p.ffnHidden(), b.heads != null ? b.heads : p.heads(),
        b.layers != null ? b.layers : p.layers(), b.dropout != null ? b.dropout : p.dropout(), p.maxPositions(),
        b.arch != null ? BertConfig.Arch.parse(b.arch) : p.arch());
    return new RunConfig(model, dataset.config(), t.build(), List.of(devices()), corpus.trainSha256(),
        JbertVersion.get(), List.of(), corpus.spec(),
        b.init == null ? null : b.init.toAbsolutePath().normalize().toString());
  }

  /** The settings a resume may change; everything else comes from the run and may not be passed. */
  private void applyResumable(TrainConfig.Builder t) {
    if (b.microBatches != null) {
      t.microBatches(b.microBatches);
    }
    if (b.evalEvery != null) {
      t.evalEvery(b.evalEvery);
    }
    if (b.skipEval != null) {
      t.skipEval(b.skipEval);
    }
    if (b.checkpointEvery != null) {
      t.checkpointEvery(b.checkpointEvery);
    }
    if (b.precision != null) {
      t.precision(b.precision);
    }
  }

  /** Whether this process writes the run folder: rank 0 of a group, or a process alone. */
  private boolean writes() {
    return b.group == null || b.group.rank() == 0;
  }

  private String devices() {
    return b.devices != null ? b.devices : "all";
  }

  /** A resume keeps the run's own settings: passing one of them is refused, before anything is read. */
  private void refuseRunSettings(RunConfig saved) {
    String runs = saved.data().tokenizer().kind();
    if (b.tokenizer != null && !Tokenizer.Kind.parse(b.tokenizer).cliName().equals(runs)) {
      throw new JbertException("--tokenizer " + b.tokenizer + " does not match the run in " + run.dir() + ", which was"
          + " started with --tokenizer " + runs + ": leave --tokenizer out to resume it, or start a new run");
    }
    List<String> fixed = new ArrayList<>();
    addIfSet(fixed, "--batch-size", b.batchSize);
    addIfSet(fixed, "--lr", b.lr);
    addIfSet(fixed, "--warmup-steps", b.warmupSteps);
    addIfSet(fixed, "--init", b.init);
    addIfSet(fixed, "--preset", b.preset);
    addIfSet(fixed, "--arch", b.arch);
    addIfSet(fixed, "--optimizer", b.optimizer);
    addIfSet(fixed, "--schedule", b.schedule);
    addIfSet(fixed, "--clip-grad-norm", b.clipGradNorm);
    addIfSet(fixed, "--layers", b.layers);
    addIfSet(fixed, "--hidden", b.hidden);
    addIfSet(fixed, "--heads", b.heads);
    addIfSet(fixed, "--ffn-hidden", b.ffnHidden);
    addIfSet(fixed, "--dropout", b.dropout);
    addIfSet(fixed, "--max-len", b.maxLen);
    addIfSet(fixed, "--seed", b.seed);
    addIfSet(fixed, "--masking", b.dynamicMasking);
    addIfSet(fixed, "--mlm-all-slots", b.mlmAllSlots);
    addIfSet(fixed, "--mask-rate", b.maskRate);
    addIfSet(fixed, "--mask-split", b.maskSplit);
    addIfSet(fixed, "--whole-word-masking", b.wholeWordMasking);
    addIfSet(fixed, "--vocab", b.vocab);
    addIfSet(fixed, "--vocab-size", b.vocabSize);
    if (b.corpusSpec != null) {
      addIfSet(fixed, "--format", b.corpusSpec.format());
      addIfSet(fixed, "--locale", b.corpusSpec.locale());
      addIfSet(fixed, "--valid", b.corpusSpec.valid().isEmpty() ? null : b.corpusSpec.valid());
      addIfSet(fixed, "--valid-share", b.corpusSpec.validShare());
    }
    if (!fixed.isEmpty()) {
      throw new JbertException(String.join(", ", fixed) + " cannot change when a run is resumed (the run keeps"
          + " its own, in " + run.file(RunFolder.CONFIG) + "): leave " + (fixed.size() == 1 ? "it" : "them")
          + " out, or start a new run");
    }
  }

  private RunConfig resumedConfig(RunConfig saved, PretrainingCorpus corpus) {
    int done = Checkpoint.stepOf(run.file(RunFolder.CHECKPOINT));
    int planned = saved.train().steps();
    int steps;
    if (b.steps == null) {
      if (done >= planned) {
        throw new JbertException("the run in " + run.dir() + " has done all its " + done + " steps: pass --steps N"
            + " with N more than " + done + " to train it further");
      }
      steps = planned;
    } else if (b.steps <= done) {
      throw new JbertException("--steps " + b.steps + " is not more than the " + done + " steps the run in "
          + run.dir() + " has done: pass more to train it further");
    } else {
      steps = b.steps;
    }
    TrainConfig.Builder t = saved.train().toBuilder().steps(steps);
    applyResumable(t);
    return saved.resumed(done, t.build(), b.devices != null ? List.of(b.devices) : saved.devices(),
        saved.corpus() != null ? corpus.spec() : null, JbertVersion.get());
  }

  private static void addIfSet(List<String> names, String name, Object value) {
    if (value != null) {
      names.add(name);
    }
  }

  private static Path defaultOut() {
    return Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
  }

  /**
   * The settings of a run. Unset ones take the reference run's values (the preset's learning rate and warmup), or on
   * {@link #resume} the run's own; a resume may change only the steps, devices, micro-batches, precision, evaluation
   * and checkpoint intervals.
   */
  public static final class Builder {
    private CorpusSpec corpusSpec;
    private PretrainingCorpus corpus;
    private ExampleCache cache;
    private Path out;
    private Path resume;
    private Path init;
    private String preset;
    private String arch;
    private String optimizer;
    private String schedule;
    private Float clipGradNorm;
    private Integer layers;
    private Integer hidden;
    private Integer heads;
    private Integer ffnHidden;
    private Float dropout;
    private Integer maxLen;
    private Long seed;
    private Integer batchSize;
    private Integer steps;
    private Float lr;
    private Integer warmupSteps;
    private Integer evalEvery;
    private Boolean skipEval;
    private Integer checkpointEvery;
    private Integer microBatches;
    private Boolean mlmAllSlots;
    private Boolean dynamicMasking;
    private Double maskRate;
    private String maskSplit;
    private Boolean wholeWordMasking;
    private String tokenizer;
    private Path vocab;
    private Integer vocabSize;
    private String devices;
    private Precision precision;
    private Listener listener = new Listener() {};
    private BooleanSupplier stop = () -> false;
    private ProcessGroup group;

    private Builder() {}

    /**
     * The corpus: WikiText-2 (a zip, a folder or wiki.train.tokens) or text files, format detected; default: the
     * lookup of ./jbert (see the README), or on {@link #resume} the run's own.
     */
    public Builder data(Path v) {
      corpusSpec = CorpusSpec.of(v);
      return this;
    }

    /**
     * The corpus with its format, locale and validation text. On {@link #resume} only its paths may be given (the
     * same text, moved); the rest belongs to the run.
     */
    public Builder corpus(CorpusSpec v) {
      corpusSpec = v;
      return this;
    }

    /** An already opened corpus, instead of {@link #data}. */
    public Builder corpus(PretrainingCorpus v) {
      corpus = v;
      return this;
    }

    /**
     * Where the training examples are cached ({@link ExampleCache}: built once per corpus and settings, then
     * memory-mapped); default null: built in memory.
     */
    public Builder cache(ExampleCache v) {
      cache = v;
      return this;
    }

    /** The new run folder (default: runs/yyyyMMdd-HHmmss). */
    public Builder out(Path v) {
      out = v;
      return this;
    }

    /** Continue the run in this folder from its checkpoint. */
    public Builder resume(Path v) {
      resume = v;
      return this;
    }

    /** d2l (default), base or large: the model's sizes with their recipe's learning rate and warmup. */
    /**
     * Start from the weights of this model folder (a Hugging Face BERT folder, or a jbert run pretrained with a
     * WordPiece vocabulary) instead of random ones, with its architecture and vocabulary; the recipe is BERT's unless
     * set (domain-adaptive pretraining).
     */
    public Builder init(Path v) {
      init = v;
      return this;
    }

    public Builder preset(String v) {
      preset = v;
      return this;
    }

    public Builder layers(int v) {
      layers = v;
      return this;
    }

    public Builder hidden(int v) {
      hidden = v;
      return this;
    }

    public Builder heads(int v) {
      heads = v;
      return this;
    }

    public Builder ffnHidden(int v) {
      ffnHidden = v;
      return this;
    }

    /** d2l or bert: the network (default: the preset's; bert-* presets are bert, the others d2l). */
    public Builder arch(String v) {
      arch = v;
      return this;
    }

    /** adam or adamw (AdamW decays weights by 0.01, BERT's rate) (default: the preset's). */
    public Builder optimizer(String v) {
      optimizer = v;
      return this;
    }

    /** constant or linear after the warmup (default: the preset's). */
    public Builder schedule(String v) {
      schedule = v;
      return this;
    }

    /** Clip the gradients' global norm to this; 0 = no clipping (default: the preset's). */
    public Builder clipGradNorm(float v) {
      clipGradNorm = v;
      return this;
    }

    public Builder dropout(float v) {
      dropout = v;
      return this;
    }

    public Builder maxLen(int v) {
      maxLen = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder steps(int v) {
      steps = v;
      return this;
    }

    public Builder lr(float v) {
      lr = v;
      return this;
    }

    public Builder warmupSteps(int v) {
      warmupSteps = v;
      return this;
    }

    /** Evaluate every this many steps and at the end (default: only at the end). */
    public Builder evalEvery(int v) {
      evalEvery = v;
      return this;
    }

    /** Skip every evaluation, the final one included. */
    public Builder skipEval(boolean v) {
      skipEval = v;
      return this;
    }

    public Builder checkpointEvery(int v) {
      checkpointEvery = v;
      return this;
    }

    public Builder microBatches(int v) {
      microBatches = v;
      return this;
    }

    public Builder mlmAllSlots(boolean v) {
      mlmAllSlots = v;
      return this;
    }

    /** New masked-LM targets every epoch after the first (RoBERTa); default false: d2l's masks, drawn once. */
    public Builder dynamicMasking(boolean v) {
      dynamicMasking = v;
      return this;
    }

    /** The share of a pair's tokens the masked LM predicts (default 0.15). */
    public Builder maskRate(double v) {
      maskRate = v;
      return this;
    }

    /** The shares mask,keep,random of the predicted tokens (default "0.8,0.1,0.1"). */
    public Builder maskSplit(String v) {
      maskSplit = v;
      return this;
    }

    /** Predict whole words: a ##piece with the word it continues (default false). */
    public Builder wholeWordMasking(boolean v) {
      wholeWordMasking = v;
      return this;
    }

    /** words (d2l's, the default) or wordpiece (BERT's); on {@link #resume} it must be the run's. */
    public Builder tokenizer(String v) {
      tokenizer = v;
      return this;
    }

    /**
     * The WordPiece vocabulary: a {@code jbert vocab} output folder, a Hugging Face BERT folder or its
     * {@code vocab.txt}; without it, {@code wordpiece} trains one on the training text.
     */
    public Builder vocab(Path v) {
      vocab = v;
      return this;
    }

    /** The size of the WordPiece vocabulary trained on the training text (default 30522, BERT's). */
    public Builder vocabSize(int v) {
      vocabSize = v;
      return this;
    }

    /** cpu, gpu, gpu:0,1 or all (default). */
    public Builder devices(String v) {
      devices = v;
      return this;
    }

    /** fp32 (default, the reference numerics) or bf16 matrix products. */
    public Builder precision(Precision v) {
      precision = v;
      return this;
    }

    /**
     * Train together with the other processes of this group, each on its share of every batch (default: none, this
     * process alone). Only rank 0 writes the run folder; every process needs the same corpus.
     */
    public Builder processGroup(ProcessGroup v) {
      group = v;
      return this;
    }

    public Builder listener(Listener v) {
      listener = v;
      return this;
    }

    /** Polled during the run; when it turns true the run stops within a part of a step and saves its state. */
    public Builder stopWhen(BooleanSupplier v) {
      stop = v;
      return this;
    }

    public Pretraining build() {
      if (corpusSpec != null && corpus != null) {
        throw new IllegalArgumentException("pass data or corpus, not both");
      }
      if (out != null && resume != null) {
        throw new JbertException("pass --out for a new run or --resume for an existing one, not both");
      }
      return new Pretraining(this);
    }
  }
}
