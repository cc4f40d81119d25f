package dev.jbert.cli;

import dev.jbert.data.Corpus;
import dev.jbert.data.CorpusLocator;
import dev.jbert.data.DataConfig;
import dev.jbert.data.Downloader;
import dev.jbert.data.Mirror;
import dev.jbert.model.BertConfig;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The corpus and example options shared by {@code data} and {@code pretrain} (a picocli {@code @Mixin}). */
public final class DataOptions {
  @Option(
      names = "--data",
      paramLabel = "PATH",
      description = "WikiText-2: a folder holding wiki.train.tokens or a wikitext-2-v1.zip. Default: $JBERT_DATA, "
          + "the cache $JBERT_HOME/datasets/wikitext-2, ../shared/data/wikitext-2-v1.zip, else a download.")
  Path data;

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

  /**
   * The options as a validated config (min_freq is d2l's 5). A max_len longer than the models' positional table is
   * refused here, before any example is built.
   */
  public DataConfig config() {
    BertConfig.d2l(1).checkFits(maxLen); // every preset has d2l's 1000 positions
    return new DataConfig(maxLen, DataConfig.defaults().minFreq(), seed);
  }

  /** {@code --data}, or null when not given. */
  public Path data() {
    return data;
  }

  /** Finds and opens the corpus; a download draws its progress bar on {@code err}. */
  public Corpus openCorpus(PrintWriter err) {
    Downloader downloader = new Downloader(Mirror.WIKITEXT_2, new ProgressBarListener(err));
    return Corpus.open(CorpusLocator.locate(data, System.getenv(), downloader));
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
