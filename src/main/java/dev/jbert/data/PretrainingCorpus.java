package dev.jbert.data;

import dev.jbert.JbertException;
import dev.jbert.data.wordpiece.TokenizerFiles;
import dev.jbert.data.wordpiece.TrainedVocab;
import dev.jbert.data.wordpiece.VocabConfig;
import dev.jbert.data.wordpiece.WordPieceTrainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A corpus of any {@link CorpusFormat}, opened from a {@link CorpusSpec}: the training text, the validation text when
 * there is one, and the SHA-256 that a resumed run checks. WikiText-2 goes through {@link Corpus} and the d2l path
 * unchanged; documents and text are read with {@link TextFiles} (several files, folders, globs, .gz, UTF-8 checked).
 */
public final class PretrainingCorpus {
  private final CorpusSpec spec;
  private final String detection;
  private final Corpus wikitext; // WIKITEXT only
  private final List<String> wikitextValid; // WIKITEXT with --valid only
  private final Documents train; // documents and text: the files, streamed again whenever they are read
  private final List<List<String>> valid; // documents and text: read from --valid, else held out when first asked for
  private final String sha256;

  private PretrainingCorpus(CorpusSpec spec, String detection, Corpus wikitext, List<String> wikitextValid,
      Documents train, List<List<String>> valid, String sha256) {
    this.spec = spec;
    this.detection = detection;
    this.wikitext = wikitext;
    this.wikitextValid = wikitextValid;
    this.train = train;
    this.valid = valid;
    this.sha256 = sha256;
  }

  /** Reads the corpus; a {@link JbertException} naming the problem for a missing, binary, non-UTF-8 or empty one. */
  public static PretrainingCorpus open(CorpusSpec spec) {
    if (spec.paths().isEmpty()) {
      throw new JbertException("no corpus given: pass --data PATH");
    }
    for (String path : spec.paths()) {
      if (!TextFiles.isGlob(path) && !Files.exists(Path.of(path))) {
        throw new JbertException("no corpus at " + path + ": pass --data with text files, folders of them or a glob,"
            + " or WikiText-2 (a wikitext-2-v1.zip, or a folder holding wiki.train.tokens)");
      }
    }
    CorpusFormat format = spec.formatOrNull();
    if (format == CorpusFormat.WIKITEXT || format == null && looksLikeWikiText(spec.paths())) {
      return openWikiText(spec, format == null ? "WikiText-2's layout" : null);
    }
    List<Path> files = TextFiles.expand(spec.paths().stream().map(Path::of).toList());
    // one pass, a line at a time: the checksum, the sample that detects the format, what counts the documents
    MessageDigest sha = sha256();
    List<String> sample = new ArrayList<>();
    boolean[] blankSeparated = new boolean[files.size()];
    long groups = 0; // blank-line separated runs of non-blank lines: documents, or text's paragraphs
    long lineParagraphs = 0; // text's paragraphs in files without a blank line: their lines
    for (int f = 0; f < files.size(); f++) {
      LineCounts counts = new LineCounts();
      CorpusFormat known = format;
      TextFiles.forEachLine(files.get(f), line -> {
        sha.update(line.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) '\n');
        if (known == null && sample.size() < CorpusFormat.DETECTION_LINES && !line.isBlank()) {
          sample.add(line);
        }
        counts.add(line);
      });
      sha.update((byte) 0); // a file ends a document: two files are not their concatenation (text has no NUL)
      blankSeparated[f] = counts.blank;
      groups += counts.groups;
      lineParagraphs += counts.blank ? counts.groups : counts.nonBlank;
    }
    String detection = null;
    if (format == null) {
      CorpusFormat.Detection d = CorpusFormat.detect(List.of(sample), spec.sentenceLocale());
      format = d.format();
      detection = d.reason();
    }
    long documents = format == CorpusFormat.DOCUMENTS ? groups : lineParagraphs;
    if (documents == 0) {
      throw new JbertException("the corpus " + describe(spec.paths(), files) + " is empty: no line holds a word");
    }
    if (documents > Integer.MAX_VALUE) {
      throw new JbertException("the corpus holds " + documents + " documents, more than 2^31 - 1: split it");
    }
    List<List<String>> valid = null;
    double share;
    if (!spec.valid().isEmpty()) {
      valid = documents(readAll(TextFiles.expand(spec.valid().stream().map(Path::of).toList())), format,
          spec.sentenceLocale());
      share = 0;
    } else {
      share = spec.validShare() != null ? spec.validShare() : CorpusSpec.DEFAULT_VALID_SHARE;
    }
    CorpusSpec resolved = new CorpusSpec(absolute(spec.paths()), format.cliName(), spec.locale(),
        absolute(spec.valid()), share);
    return new PretrainingCorpus(resolved, detection, null, null,
        new Documents(files, blankSeparated, format, spec.sentenceLocale(), (int) documents, share), valid,
        HexFormat.of().formatHex(sha.digest()));
  }

  /**
   * The documents of the text files, read afresh on every pass (a file's lines at a time), with a share of them held
   * out for validation: {@code floor(n * share)} documents spread evenly, the last of each run of 1/share.
   */
  private record Documents(List<Path> files, boolean[] blankSeparated, CorpusFormat format, Locale locale, int count,
      double share) {
    int heldOut() {
      return new HoldOut(count, share).count();
    }

    /** Calls {@code training} with each training document and {@code held} with each held-out one, in order. */
    void forEach(Consumer<CorpusFormat.Document> training, Consumer<CorpusFormat.Document> held) {
      HoldOut rule = new HoldOut(count, share);
      for (int f = 0; f < files.size(); f++) {
        CorpusFormat.Splitter splitter = format.splitter(locale, blankSeparated[f],
            document -> (rule.next() ? held : training).accept(document));
        TextFiles.forEachLine(files.get(f), splitter::line);
        splitter.end();
      }
    }
  }

  /** What counts a file's documents without keeping its lines (see {@link CorpusFormat#splitter}). */
  private static final class LineCounts {
    boolean blank;
    long nonBlank;
    long groups;
    private boolean inGroup;

    void add(String line) {
      if (line.isBlank()) {
        blank = true;
        inGroup = false;
      } else {
        nonBlank++;
        if (!inGroup) {
          groups++;
          inGroup = true;
        }
      }
    }
  }

  private static PretrainingCorpus openWikiText(CorpusSpec spec, String detection) {
    if (spec.paths().size() != 1) {
      throw new JbertException("the wikitext format reads one corpus (a zip, a folder or wiki.train.tokens), got "
          + spec.paths().size() + " paths: pass one --data, or --format documents or text for other text");
    }
    if (spec.validShare() != null && spec.validShare() > 0) {
      throw new JbertException("WikiText-2 has its own validation split (wiki.valid.tokens): leave --valid-share out,"
          + " or pass --valid PATH for other validation text");
    }
    Corpus corpus = Corpus.open(Path.of(spec.paths().get(0)));
    List<String> valid = null;
    if (!spec.valid().isEmpty()) {
      valid = new ArrayList<>();
      for (Path file : TextFiles.expand(spec.valid().stream().map(Path::of).toList())) {
        TextFiles.forEachLine(file, valid::add);
      }
    }
    CorpusSpec resolved = new CorpusSpec(absolute(spec.paths()), CorpusFormat.WIKITEXT.cliName(), spec.locale(),
        absolute(spec.valid()), 0.0);
    return new PretrainingCorpus(resolved, detection, corpus, valid, null, null, corpus.trainSha256());
  }

  /** One zip, one {@code *.tokens} file, or one folder holding WikiText-2's training file or archive. */
  static boolean looksLikeWikiText(List<String> paths) {
    if (paths.size() != 1) {
      return false;
    }
    Path p = Path.of(paths.get(0));
    String name = p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
    if (Files.isDirectory(p)) {
      return Files.isRegularFile(p.resolve(Corpus.TRAIN)) || Files.isRegularFile(p.resolve("wikitext-2")
          .resolve(Corpus.TRAIN)) || Files.isRegularFile(p.resolve(Corpus.ARCHIVE));
    }
    return name.endsWith(".zip") || name.endsWith(".tokens");
  }

  private static List<List<String>> readAll(List<Path> files) {
    List<List<String>> lines = new ArrayList<>(files.size());
    for (Path file : files) {
      List<String> fileLines = new ArrayList<>();
      TextFiles.forEachLine(file, fileLines::add);
      lines.add(fileLines);
    }
    return lines;
  }

  private static List<List<String>> documents(List<List<String>> files, CorpusFormat format, Locale locale) {
    List<List<String>> documents = new ArrayList<>();
    for (List<String> lines : files) {
      documents.addAll(format.documents(lines, locale));
    }
    return documents;
  }

  /**
   * Moves {@code floor(n * share)} documents, spread evenly (the last of each run of 1/share), into {@code heldOut}
   * and returns the others, both in corpus order.
   */
  static List<List<String>> holdOut(List<List<String>> documents, double share, List<List<String>> heldOut) {
    HoldOut rule = new HoldOut(documents.size(), share);
    List<List<String>> kept = new ArrayList<>();
    for (List<String> document : documents) {
      (rule.next() ? heldOut : kept).add(document);
    }
    return kept;
  }

  /** Which of n documents, taken in order, are held out: floor(n * share) of them, the last of each run of 1/share. */
  static final class HoldOut {
    private final int n;
    private final int count;
    private int index;
    private int held; // the next held-out index is floor((held + 1) * n / count) - 1

    HoldOut(int n, double share) {
      this.n = n;
      this.count = (int) Math.floor(n * share);
    }

    int count() {
      return count;
    }

    /** Whether the next document is held out. */
    boolean next() {
      boolean out = held < count && index == (int) ((long) (held + 1) * n / count) - 1;
      index++;
      held += out ? 1 : 0;
      return out;
    }
  }

  private static List<String> absolute(List<String> paths) {
    return paths.stream().map(p -> Path.of(p).toAbsolutePath().normalize().toString()).toList();
  }

  private static String describe(List<String> given, List<Path> files) {
    return given.size() == 1 && files.size() == 1 ? given.get(0) : String.join(" ", given) + " (" + files.size()
        + " files)";
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * The training examples with the tokenizer {@code config.tokenizer()} names: d2l's words (the vocabulary built from
   * the training text), or WordPiece (its vocabulary read from {@code vocab}, or trained on the training text). A
   * corpus without two sentences in a row in any document is refused, since it gives no pair to train on.
   */
  public PretrainingDataset buildTrain(DataConfig config) {
    return buildTrain(config, tokenizer(config.tokenizer()));
  }

  /** The training examples with a given tokenizer (a resumed run's own); null: d2l's words, their vocabulary built. */
  public PretrainingDataset buildTrain(DataConfig config, Tokenizer tokenizer) {
    return buildTrain(config, tokenizer, null);
  }

  /**
   * The training examples with a given tokenizer (null: d2l's words, their vocabulary built), read from
   * {@code cache} when it holds them, else streamed from the text into it: the text, its tokens and the examples never
   * sit on the heap, whatever the corpus's size. A null {@code cache} builds them in memory.
   */
  public PretrainingDataset buildTrain(DataConfig config, Tokenizer tokenizer, ExampleCache cache) {
    PretrainingDataset d;
    if (cache == null) {
      // a kept WikiText line always holds two sentences
      if (wikitext != null) {
        d = PretrainingDataset.build(wikitext, tokenizer, config);
      } else {
        TokenizedCorpus.Builder b = new TokenizedCorpus.Builder(tokenizer, Ints.Writer.inMemory());
        train.forEach(b::document, held -> { });
        d = PretrainingDataset.build(b.finish(), tokenizer, config, sha256);
      }
    } else {
      String key = ExampleCache.key(sha256, "format " + spec.format() + " locale " + spec.locale()
          + " valid_share " + spec.validShare(), config, tokenizer);
      d = cache.dataset(key, config, tokenizer, (tokensFile, records) -> {
        try (Ints.ToFile tokens = Ints.Writer.toFile(tokensFile)) {
          TokenizedCorpus.Builder b = new TokenizedCorpus.Builder(tokenizer, tokens);
          if (wikitext != null) {
            wikitext.forEachTrainLine(b::wikiTextLine);
          } else {
            train.forEach(b::document, held -> { });
          }
          PretrainingDataset.Built built = PretrainingDataset.build(b.finish(), tokenizer, config, () -> sha256,
              wikitext == null, records);
          checkPairs(built.draws(), built.stats()); // before the file is renamed into place
          return built;
        }
      });
    }
    checkPairs(d.draws(), d.stats());
    return d;
  }

  /** A corpus without two sentences in a row in any document gives no pair to train on. */
  private void checkPairs(PretrainingDataset.DrawCounts draws, DatasetStats stats) {
    if (draws.pairsDrawn() == 0) {
      throw new JbertException("the corpus gives no sentence pair: each of its " + stats.documents()
          + " documents has one sentence, and next-sentence prediction needs two in a row ("
          + (format() == CorpusFormat.DOCUMENTS ? "documents format: one sentence per line, a blank line between"
              + " documents" : "text format: a paragraph of two sentences or more") + ")");
    }
  }

  /**
   * The tokenizer {@code config} names, ready to encode: null for d2l's words (their vocabulary comes with the
   * examples), a WordPiece tokenizer read from {@code config.vocab()}, or one trained on the training text.
   */
  public Tokenizer tokenizer(TokenizerConfig config) {
    if (config.kindEnum() == Tokenizer.Kind.WORDS) {
      return null;
    }
    if (config.vocab() != null) {
      return TokenizerFiles.load(Path.of(config.vocab()));
    }
    return trainWordPiece(VocabConfig.uncased(config.vocabSize())).tokenizer();
  }

  /**
   * A WordPiece vocabulary trained on the training text, as {@code jbert vocab} trains one: WikiText's training file
   * line by line (headings included, as {@code jbert vocab --data} the zip), or every sentence of the training
   * documents (the held-out ones left out).
   */
  public TrainedVocab trainWordPiece(VocabConfig config) {
    WordPieceTrainer trainer = new WordPieceTrainer(config);
    if (wikitext != null) {
      wikitext.forEachTrainLine(trainer::add);
    } else {
      train.forEach(document -> document.sentences().forEach(trainer::add), held -> { });
    }
    return trainer.train();
  }

  /** The validation examples encoded with {@code vocab}; empty when the corpus has no validation text. */
  public Optional<PretrainingDataset> buildValid(Tokenizer vocab, DataConfig config) {
    if (wikitext != null) {
      Optional<List<String>> lines = wikitextValid != null ? Optional.of(wikitextValid) : wikitext.validLines();
      return lines.map(l -> PretrainingDataset.build(l, vocab, config));
    }
    List<List<String>> documents = valid;
    if (documents == null) {
      List<List<String>> held = new ArrayList<>();
      train.forEach(document -> { }, document -> held.add(document.sentences()));
      documents = held;
    }
    return documents.isEmpty() ? Optional.empty()
        : Optional.of(PretrainingDataset.buildDocuments(documents, vocab, config, sha256));
  }

  /** Where the text came from and how it is read, resolved (absolute paths, the format detected). */
  public CorpusSpec spec() {
    return spec;
  }

  public CorpusFormat format() {
    return spec.formatOrNull();
  }

  /** What decided the format when it was detected; empty when {@code --format} gave it. */
  public Optional<String> detection() {
    return Optional.ofNullable(detection);
  }

  /** SHA-256 of the training text: WikiText's file bytes, or every file's lines (each followed by \n, then a 0). */
  public String trainSha256() {
    return sha256;
  }

  /** Documents held out or read for validation (0 for WikiText, whose split is a file). */
  public int validDocuments() {
    return train == null ? 0 : valid != null ? valid.size() : train.heldOut();
  }
}
