package dev.jbert.cli;

import dev.jbert.JbertException;
import dev.jbert.data.TextFiles;
import dev.jbert.data.wordpiece.TokenizerFiles;
import dev.jbert.data.wordpiece.TrainedVocab;
import dev.jbert.data.wordpiece.VocabConfig;
import dev.jbert.data.wordpiece.WordPieceTrainer;
import dev.jbert.data.wordpiece.WordPieceVocab;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jbert vocab}: trains a WordPiece vocabulary on text files and writes it in BERT's and Hugging Face's formats. */
@Command(
    name = "vocab",
    mixinStandardHelpOptions = true,
    description = "Train a WordPiece vocabulary as BERT's is built (basic tokenization, then ## pieces) and write "
        + "vocab.txt, tokenizer.json and tokenizer_config.json.")
public final class VocabCommand implements Callable<Integer> {
  @Option(
      names = "--data",
      paramLabel = "PATH",
      required = true,
      arity = "1..*",
      description = "UTF-8 text: files, folders (their .txt and .gz files, all levels), globs ('texts/*.txt') or a"
          + " wikitext-2-v1.zip (its wiki.train.tokens). Several may follow one --data.")
  List<Path> data;

  @Option(
      names = "--size",
      paramLabel = "N",
      defaultValue = "" + VocabConfig.BERT_SIZE,
      description = "Tokens in the vocabulary, the 5 special tokens included (default: ${DEFAULT-VALUE}, BERT's).")
  int size;

  @Option(names = "--cased", description = "Keep case and accents (as BERT-cased); by default the text is "
      + "lower-cased and stripped of accents (as BERT-uncased).")
  boolean cased;

  @Option(
      names = "--min-frequency",
      paramLabel = "N",
      defaultValue = "2",
      description = "A pair of pieces is merged only when it occurs at least N times (default: ${DEFAULT-VALUE}).")
  int minFrequency;

  @Option(names = "--out", paramLabel = "DIR", required = true,
      description = "The folder to write vocab.txt, tokenizer.json and tokenizer_config.json to (created if missing).")
  Path out;

  @Mixin Verbosity verbosity;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter stdout = spec.commandLine().getOut();
    VocabConfig config = new VocabConfig(size, !cased, minFrequency);
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new JbertException("--out " + out + " is a file: pass a folder");
    }
    long start = System.nanoTime();
    List<Path> files = TextFiles.expand(data);
    WordPieceTrainer trainer = new WordPieceTrainer(config);
    long bytes = 0;
    for (Path file : files) {
      bytes += TextFiles.forEachLine(file, trainer::add);
    }
    if (trainer.words() == 0) {
      throw new JbertException("no words in " + (files.size() == 1 ? files.get(0) : files.size() + " files under "
          + data) + ": the corpus is empty (or white space and control characters only)");
    }
    double readSeconds = (System.nanoTime() - start) / 1e9;
    stdout.printf(Locale.ROOT, "read %d file%s, %.1f MB, %d words (%d distinct) in %.1f s%n", files.size(),
        files.size() == 1 ? "" : "s", bytes / 1e6, trainer.words(), trainer.distinctWords(), readSeconds);
    long trainStart = System.nanoTime();
    TrainedVocab vocab = trainer.train();
    double trainSeconds = (System.nanoTime() - trainStart) / 1e9;
    stdout.printf(Locale.ROOT, "vocabulary: %d tokens (%d special, %d characters, %d ## characters, %d merges),"
            + " %s, in %.1f s%n", vocab.vocab().size(), WordPieceVocab.SPECIALS.size(), vocab.alphabet(),
        vocab.continuationAlphabet(), vocab.merges(), config.lowercase() ? "uncased" : "cased", trainSeconds);
    if (!vocab.complete()) {
      stdout.printf(Locale.ROOT, "note: %d tokens, not the %d asked for: no pair of pieces occurs %d times or more"
          + " (a larger corpus, or --min-frequency 1, gives more)%n", vocab.vocab().size(), size, minFrequency);
    }
    TokenizerFiles.write(out, vocab.tokenizer());
    stdout.printf(Locale.ROOT, "wrote %s, %s, %s in %s (%.1f s in all)%n", TokenizerFiles.VOCAB_TXT,
        TokenizerFiles.TOKENIZER_JSON, TokenizerFiles.TOKENIZER_CONFIG_JSON, out,
        (System.nanoTime() - start) / 1e9);
    stdout.flush();
    return 0;
  }
}
