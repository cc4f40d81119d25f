package dev.jbert.cli;

import dev.jbert.data.Corpus;
import dev.jbert.data.CorpusLocator;
import dev.jbert.data.CorpusSpec;
import dev.jbert.data.DataConfig;
import dev.jbert.data.Downloader;
import dev.jbert.data.ExampleCache;
import dev.jbert.data.MaskConfig;
import dev.jbert.data.Mirror;
import dev.jbert.data.PretrainingCorpus;
import dev.jbert.data.TokenizerConfig;
import dev.jbert.model.BertConfig;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The corpus and example options shared by {@code data} and {@code pretrain} (a picocli {@code @Mixin}). */
public final class DataOptions {
  @Option(
      names = "--data",
      paramLabel = "PATH",
      arity = "1..*",
      description = "The corpus: text files, folders of .txt/.gz files, globs ('texts/*.txt'), or WikiText-2 (a"
          + " wikitext-2-v1.zip or a folder holding wiki.train.tokens). Several may follow one --data. Default:"
          + " WikiText-2 from $JBERT_DATA, the cache $JBERT_HOME/datasets/wikitext-2,"
          + " ../shared/data/wikitext-2-v1.zip, else a download.")
  List<String> data;

  @Option(
      names = "--format",
      paramLabel = "NAME",
      description = "wikitext (d2l's rules), documents (one sentence per line, a blank line between documents, as"
          + " Google BERT's create_pretraining_data.py) or text (prose: paragraphs one per line or blank-line"
          + " separated, sentences found by java.text.BreakIterator). Default: detected, and printed.")
  String format;

  @Option(names = "--locale", paramLabel = "TAG",
      description = "Language whose sentence rules split the text format, as en, de or pt-BR (default: the root"
          + " locale's rules).")
  String locale;

  @Option(names = "--valid", paramLabel = "PATH", arity = "1..*",
      description = "Validation text, read in the corpus's format (default: WikiText's wiki.valid.tokens, or a"
          + " share of the documents held out, see --valid-share).")
  List<String> valid;

  @Option(names = "--valid-share", paramLabel = "X",
      description = "Share of the documents held out for validation when the corpus has no split and --valid is not"
          + " given: every 1/X-th document (default: " + CorpusSpec.DEFAULT_VALID_SHARE + "; none for WikiText-2).")
  Double validShare;

  @Option(names = "--cache", paramLabel = "DIR",
      description = "Folder of the example cache: the examples of a corpus and settings are built once, written"
          + " there and memory-mapped, so the heap stays small and a second run starts at once; 'none' builds them"
          + " in memory (default: $JBERT_HOME/cache/examples).")
  String cache;

  @Option(
      names = "--max-len",
      paramLabel = "N",
      defaultValue = "64",
      description = "Longest sentence pair in tokens, <cls> and <sep> included (default: ${DEFAULT-VALUE}).")
  int maxLen;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "0",
      description = "Seed of every random draw: pairs, masks, batch order, initial weights, dropout"
          + " (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--mask-rate", paramLabel = "X",
      description = "Share of a pair's tokens the masked LM predicts (default: 0.15, d2l's and BERT's).")
  Double maskRate;

  @Option(names = "--mask-split", paramLabel = "M,K,R",
      description = "Shares of the predicted tokens replaced by <mask>, kept, and replaced by a random token"
          + " (default: 0.8,0.1,0.1).")
  String maskSplit;

  @Option(names = "--whole-word-masking", description = "Predict whole words: a ##piece is chosen with the word it"
      + " continues (WordPiece vocabularies; d2l's words are whole already).")
  boolean wholeWordMasking;

  @Option(names = "--tokenizer", paramLabel = "NAME", description = "words (d2l's: lower case, split on white space,"
      + " the words seen 5 times or more) or wordpiece (BERT's ## pieces, special tokens [PAD] [UNK] [CLS] [SEP] [MASK])"
      + " (default: words; with --resume: the run's).")
  String tokenizer;

  @Option(names = "--vocab", paramLabel = "DIR", description = "The WordPiece vocabulary: a 'jbert vocab' output"
      + " folder, a Hugging Face BERT folder or its vocab.txt (default: one trained on the training text, see"
      + " --vocab-size).")
  java.nio.file.Path vocab;

  @Option(names = "--vocab-size", paramLabel = "N", description = "Tokens in the WordPiece vocabulary trained on the"
      + " training text when no --vocab is given, uncased, the 5 special tokens included (default: 30522, BERT's).")
  Integer vocabSize;

  /** The tokenizer the options name. */
  public TokenizerConfig tokenizerConfig() {
    return TokenizerConfig.of(tokenizer, vocab, vocabSize);
  }

  /**
   * The options as a validated config (min_freq is d2l's 5). A max_len longer than the models' positional table is
   * refused here, before any example is built.
   */
  public DataConfig config() {
    BertConfig.d2l(1).checkFits(maxLen); // every preset has d2l's 1000 positions
    return new DataConfig(maxLen, DataConfig.defaults().minFreq(), seed, false, masking(), tokenizerConfig());
  }

  /** The example cache {@code --cache} names; null for {@code none}. */
  public ExampleCache exampleCache() {
    if (cache == null) {
      return ExampleCache.inJbertHome(System.getenv());
    }
    return cache.equals("none") ? null : new ExampleCache(Path.of(cache));
  }

  /** The line that says where the training examples are mapped from. */
  static String cacheLine(ExampleCache.Use use) {
    return use.reused() ? "examples: reused " + use.file() + " (the same corpus and settings; not rebuilt)"
        : "examples: built and cached in " + use.file();
  }

  /** The masked-LM rules of the options: d2l's with what was passed changed. */
  public MaskConfig masking() {
    MaskConfig m = MaskConfig.d2l();
    if (maskRate != null) {
      m = m.withRate(maskRate);
    }
    if (maskSplit != null) {
      m = m.withSplit(maskSplit);
    }
    return m.withWholeWord(wholeWordMasking);
  }

  /** What the corpus options say; without {@code --data} the paths are null (WikiText-2 is looked up). */
  CorpusSpec spec(List<String> paths) {
    return new CorpusSpec(paths, format, locale, valid, validShare);
  }

  /** The corpus paths: {@code --data}, else WikiText-2 found (or downloaded, its progress drawn on {@code err}). */
  List<String> paths(PrintWriter err) {
    if (data != null) {
      return data;
    }
    Downloader downloader = new Downloader(Mirror.WIKITEXT_2, new ProgressBarListener(err));
    return List.of(CorpusLocator.locate(null, System.getenv(), downloader).toString());
  }

  /** Finds and opens the corpus; a download draws its progress bar on {@code err}. */
  public PretrainingCorpus openCorpus(PrintWriter err) {
    return PretrainingCorpus.open(spec(paths(err)));
  }

  /** Draws download progress: a bar on a terminal, plain lines in a log. */
  static final class ProgressBarListener implements Downloader.Listener {
    private final PrintWriter err;
    private Progress bar;

    ProgressBarListener(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void started(URI uri, long totalBytes) {
      err.println("downloading " + uri);
      bar = Progress.start(err, Corpus.ARCHIVE, 0, Math.max(1, totalBytes >> 20), " MiB");
    }

    @Override
    public void progress(long bytes, long totalBytes) {
      bar.update(bytes >> 20, "");
    }

    @Override
    public void failed(URI uri, String reason) {
      closeBar();
      err.println("download from " + uri + " failed: " + reason);
    }

    @Override
    public void finished(URI uri) {
      closeBar();
    }

    private void closeBar() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }
}
