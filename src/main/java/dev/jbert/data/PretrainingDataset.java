package dev.jbert.data;

import dev.jbert.JbertException;
import dev.jbert.Seeds;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.RandomAccess;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spec sections 2-6 as one pure stage: corpus lines (or documents of sentences) + {@link DataConfig} to padded
 * {@link PretrainingExample}s and {@link DatasetStats}. Every draw comes from {@code config.seed()}: the paragraph
 * shuffle from one stream, then each paragraph's NSP pairs and masks from its own stream, so the paragraphs are built
 * on all cores and the result does not depend on the thread schedule. A WikiText paragraph and a document of the
 * other formats play the same part; only where a "not next" sentence comes from differs (see {@link RandomSentence}).
 */
public final class PretrainingDataset {
  private static final int VOCAB_HEAD = 12;
  private static final Logger LOG = LoggerFactory.getLogger(PretrainingDataset.class);

  /** Where the b of a "not next" pair comes from. */
  private enum RandomSentence {
    /** d2l: a uniform random paragraph (the same one included), then a uniform random sentence of it. */
    ANY_PARAGRAPH,
    /**
     * Google BERT's {@code create_pretraining_data.py}: a uniform random other document (the same one only when there
     * is no other), then a uniform random sentence of it.
     */
    OTHER_DOCUMENT
  }

  /** Paragraphs whose examples are built at once (on all cores) before they are written out in order. */
  private static final int PARAGRAPH_BLOCK = 1 << 12;

  private final DataConfig config;
  private final Tokenizer vocab;
  private final MaskedLm masker;
  private final ExampleRecords records;
  private final Source source; // null when the examples came from a cache file without their text
  private final DrawCounts draws;
  private final DatasetStats stats;
  private final ExampleCache.Use cache; // null: built in memory

  /**
   * Counts of the random draws, before the max_len drop for the NSP pairs (spec section 4: the 0.5 holds there).
   *
   * @param pairsDrawn NSP pairs drawn, kept or not
   * @param isNextDrawn of those, pairs whose b is the true next sentence
   * @param masked predictions replaced by {@code <mask>}
   * @param kept predictions left as they were
   * @param randomized predictions replaced by a random token
   */
  public record DrawCounts(long pairsDrawn, long isNextDrawn, long masked, long kept, long randomized) {}

  /**
   * The tokenized text the examples were drawn from, in the build's shuffled paragraph order.
   *
   * @param remap table numbers to vocabulary ids (d2l's words); null when the corpus holds the tokenizer's ids
   */
  record Source(TokenizedCorpus corpus, int[] order, int[] remap) {
    int paragraphs() {
      return order.length;
    }

    int sentences(int p) {
      return corpus.sentences(order[p]);
    }

    int[] sentence(int p, int s) {
      return corpus.sentence(order[p], s, remap);
    }
  }

  /**
   * What a build gives besides its records.
   *
   * @param source the text the pairs were drawn from; null for examples read back from a cache file
   * @param fromText whether the vocabulary was built from the text (d2l's words), not given
   */
  record Built(Tokenizer vocab, DrawCounts draws, DatasetStats stats, Source source, boolean fromText) {}

  private PretrainingDataset(DataConfig config, Tokenizer vocab, ExampleRecords records, Source source,
      DrawCounts draws, DatasetStats stats, ExampleCache.Use cache) {
    this.config = config;
    this.vocab = vocab;
    this.masker = new MaskedLm(config.masking(), vocab);
    this.records = records;
    this.source = source;
    this.draws = draws;
    this.stats = stats;
    this.cache = cache;
  }

  /** The dataset of the records a build wrote ({@code built.source()} null: read back from a cache file). */
  static PretrainingDataset of(DataConfig config, Built built, Ints records, ExampleCache.Use cache) {
    return new PretrainingDataset(config, built.vocab, new ExampleRecords(records, built.stats.examples(),
        config.maxLen(), config.maxPreds(), built.vocab.specials().pad()), built.source, built.draws, built.stats, cache);
  }

  /** Builds the vocabulary from these lines (min_freq of the config), then the examples: the training split. */
  public static PretrainingDataset build(List<String> lines, DataConfig config) {
    return build(lines, null, config);
  }

  /**
   * Builds the examples with a given tokenizer: the training split's vocabulary for the validation split, or a
   * WordPiece tokenizer; null builds d2l's vocabulary from these lines.
   */
  public static PretrainingDataset build(List<String> lines, Tokenizer tokenizer, DataConfig config) {
    return inMemory(TokenizedCorpus.of(lines, tokenizer), tokenizer, config, () -> sha256(lines), false);
  }

  /**
   * Builds the examples from documents of sentences (the {@code documents} and {@code text} formats): each sentence
   * is tokenized by {@code tokenizer}, a "not next" sentence comes from another document. With {@code tokenizer}
   * null the sentences are d2l's words (lower case, split on white space) and the vocabulary is built from these
   * documents (the training split).
   *
   * @param sha256 the checksum the statistics report (of the text the documents came from)
   */
  public static PretrainingDataset buildDocuments(
      List<List<String>> documents, Tokenizer tokenizer, DataConfig config, String sha256) {
    return inMemory(TokenizedCorpus.ofDocuments(documents, tokenizer), tokenizer, config, () -> sha256, true);
  }

  /**
   * The training split of {@code corpus}, as {@link #build(List, DataConfig)}; the checksum in the statistics is the
   * file's, taken from its bytes.
   */
  public static PretrainingDataset build(Corpus corpus, DataConfig config) {
    return build(corpus, null, config);
  }

  /** The training split of {@code corpus} with a given tokenizer (null: d2l's words, their vocabulary built). */
  public static PretrainingDataset build(Corpus corpus, Tokenizer tokenizer, DataConfig config) {
    TokenizedCorpus.Builder b = new TokenizedCorpus.Builder(tokenizer, Ints.Writer.inMemory());
    corpus.forEachTrainLine(b::wikiTextLine);
    return inMemory(b.finish(), tokenizer, config, corpus::trainSha256, false);
  }

  /** The examples of documents already tokenized (in memory), as {@link #buildDocuments}. */
  static PretrainingDataset build(TokenizedCorpus documents, Tokenizer tokenizer, DataConfig config, String sha256) {
    return inMemory(documents, tokenizer, config, () -> sha256, true);
  }

  private static PretrainingDataset inMemory(TokenizedCorpus corpus, Tokenizer tokenizer, DataConfig config,
      Supplier<String> sha, boolean documents) {
    Ints.Writer out = Ints.Writer.inMemory();
    Built built = build(corpus, tokenizer, config, sha, documents, out);
    return of(config, built, out.finish(), null);
  }

  /**
   * Spec sections 3-6 over tokenized text: the paragraph shuffle, the vocabulary (d2l's words), then each paragraph's
   * pairs and masks, written to {@code out} as {@link ExampleRecords} in paragraph order, then their index. Only a block of paragraphs'
   * examples is on the heap at a time.
   *
   * @param documents whether the paragraphs are documents (a "not next" b comes from another document, as Google's
   *     {@code create_pretraining_data.py} draws it) or WikiText paragraphs (d2l: from any paragraph)
   */
  static Built build(TokenizedCorpus corpus, Tokenizer vocab, DataConfig config, Supplier<String> sha,
      boolean documents, Ints.Writer out) {
    long start = System.nanoTime();
    RandomSentence randomSentence = documents ? RandomSentence.OTHER_DOCUMENT : RandomSentence.ANY_PARAGRAPH;
    int n = corpus.paragraphs();
    if (n == 0) {
      throw new JbertException(randomSentence == RandomSentence.ANY_PARAGRAPH
          ? "the corpus has no paragraph (no line contains \" . \"): pass --data with WikiText-2"
          : "the corpus is empty: it holds no word");
    }
    SplittableRandom root = new SplittableRandom(config.seed());
    int[] order = shuffled(n, root);
    long paragraphSeed = root.nextLong();
    Tokenizer v = vocab != null ? vocab : Vocab.fromCounts(corpus, order, config.minFreq());
    int[] remap = null;
    long unknown;
    if (corpus.table != null) { // d2l's words: table numbers to vocabulary ids
      remap = new int[corpus.table.size()];
      unknown = 0;
      for (int t = 0; t < remap.length; t++) {
        remap[t] = v.id(corpus.table.token(t));
        unknown += remap[t] == v.specials().unk() ? corpus.counts[t] : 0;
      }
    } else {
      unknown = corpus.unknownTokens();
    }
    Source source = new Source(corpus, order, remap);
    long vocabDone = System.nanoTime();

    MaskedLm masker = new MaskedLm(config.masking(), v);
    long[] counts = new long[5];
    long examples = 0;
    long validLen = 0;
    long preds = 0;
    long next = 0;
    ExampleRecords.Writer records = new ExampleRecords.Writer(out);
    for (int from = 0; from < n; from += PARAGRAPH_BLOCK) {
      List<ParagraphExamples> built = IntStream.range(from, Math.min(n, from + PARAGRAPH_BLOCK)).parallel()
          .mapToObj(i -> buildParagraph(i, source, masker, config, randomSentence,
              new SplittableRandom(Seeds.mix(paragraphSeed, i))))
          .toList();
      for (ParagraphExamples p : built) {
        for (int k = 0; k < p.examples.size(); k++) {
          ExampleRecords.Compact e = p.examples.get(k);
          records.add(e, p.sources.get(k));
          validLen += e.tokens().length;
          preds += e.predPositions().length;
          next += e.isNext() ? 1 : 0;
        }
        examples += p.examples.size();
        for (int c = 0; c < counts.length; c++) {
          counts[c] += p.counts[c];
        }
      }
    }
    if (examples > Integer.MAX_VALUE) {
      throw new JbertException("the corpus gives " + examples + " examples, more than 2^31 - 1: split it");
    }
    records.finish();
    DrawCounts draws = new DrawCounts(counts[0], counts[1], counts[2], counts[3], counts[4]);
    LOG.debug("shuffle and vocabulary {} s, {} examples {} s", (vocabDone - start) / 1e9, examples,
        (System.nanoTime() - vocabDone) / 1e9);
    String checksum = sha.get();
    double seconds = (System.nanoTime() - start) / 1e9;
    double e = Math.max(1, examples);
    long tokens = corpus.tokenCount();
    DatasetStats stats = new DatasetStats(v.size(), n, corpus.sentenceCount(), tokens,
        unknown / (double) Math.max(1, tokens), (int) examples, validLen / e, preds / e, next / e,
        v.tokens().subList(0, Math.min(VOCAB_HEAD, v.size())), seconds, checksum);
    return new Built(v, draws, stats, source, vocab == null);
  }

  private record ParagraphExamples(List<ExampleRecords.Compact> examples, List<int[]> sources, long[] counts) {}

  /** Spec sections 4-6 for paragraph {@code p}: NSP pairs, the max_len drop, masks. */
  private static ParagraphExamples buildParagraph(int p, Source paragraphs, MaskedLm masker, DataConfig config,
      RandomSentence randomSentence, SplittableRandom rng) {
    int sentences = paragraphs.sentences(p);
    List<ExampleRecords.Compact> examples = new ArrayList<>();
    List<int[]> sources = new ArrayList<>();
    long[] counts = new long[5]; // pairs drawn, is_next drawn, then MaskedLm.Action counts
    long[] actions = new long[MaskedLm.Action.values().length];
    int n = paragraphs.paragraphs();
    int[] a = sentences > 1 ? paragraphs.sentence(p, 0) : null;
    for (int i = 0; i + 1 < sentences; i++) {
      int pb = p;
      int sb = i + 1;
      boolean isNext = rng.nextDouble() < 0.5;
      if (!isNext) { // a random sentence of a random paragraph; it may by chance be the true next one
        if (randomSentence == RandomSentence.ANY_PARAGRAPH || n == 1) {
          pb = rng.nextInt(n);
        } else {
          pb = rng.nextInt(n - 1);
          pb += pb >= p ? 1 : 0;
        }
        sb = rng.nextInt(paragraphs.sentences(pb));
      }
      counts[0]++;
      counts[1] += isNext ? 1 : 0;
      int[] following = paragraphs.sentence(p, i + 1);
      int[] b = isNext ? following : paragraphs.sentence(pb, sb);
      if (SentencePair.length(a.length, b.length) <= config.maxLen()) {
        examples.add(compact(a, b, isNext, masker, rng, actions));
        sources.add(new int[] {p, i, pb, sb});
      }
      a = following;
    }
    for (int c = 0; c < actions.length; c++) {
      counts[2 + c] = actions[c];
    }
    return new ParagraphExamples(examples, sources, counts);
  }

  private static ExampleRecords.Compact compact(
      int[] a, int[] b, boolean isNext, MaskedLm masker, SplittableRandom rng, long[] actions) {
    int validLen = SentencePair.length(a.length, b.length);
    int[] tokens = SentencePair.ids(a, b, masker.specials(), validLen);
    int[] original = tokens.clone();
    int[] positions = masker.maskInPlace(tokens, validLen, rng, actions);
    int[] labels = new int[positions.length];
    for (int k = 0; k < positions.length; k++) {
      labels[k] = original[positions[k]];
    }
    return new ExampleRecords.Compact(tokens, SentencePair.bStart(a.length), positions, labels, isNext);
  }

  /** {@code <cls> a <sep> b <sep>} with d2l's ids, padded with {@code <pad>} to {@code maxLen} ({@link SentencePair}). */
  public static int[] tokens(int[] a, int[] b, int maxLen) {
    return SentencePair.ids(a, b, Vocab.SPECIALS, maxLen);
  }

  /** 0 for {@code <cls> a <sep>}, 1 for {@code b <sep>}, 0 on the padding up to {@code maxLen}. */
  public static int[] segments(int[] a, int[] b, int maxLen) {
    return SentencePair.segments(a.length, b.length, maxLen);
  }

  /**
   * The paragraph order: Fisher-Yates over 0..n-1, as Python's {@code random.shuffle} (entry q is the paragraph that
   * comes q-th).
   */
  static int[] shuffled(int n, SplittableRandom rng) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  private static String sha256(List<String> lines) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (String line : lines) {
        digest.update(line.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) '\n');
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The tokenizer whose ids the examples hold: d2l's vocabulary (built from the text, or given) or WordPiece. */
  public Tokenizer vocab() {
    return vocab;
  }

  /**
   * The examples, paragraph by paragraph in shuffled order, pairs in sentence order. Each is padded to max_len when it
   * is read, so the list holds no padding.
   */
  public List<PretrainingExample> examples() {
    return new Examples(records, config.maxLen(), config.maxPreds(), null, masker);
  }

  /**
   * The examples as epoch {@code epoch} (from 0) of training sees them: {@link #examples()} itself unless the config
   * asks for dynamic masking, then, after epoch 0, the same pairs with masks drawn afresh, each from a stream of
   * (seed, epoch, example), so a resumed run sees what an uninterrupted one would.
   */
  public List<PretrainingExample> examples(long epoch) {
    if (!config.dynamicMasking() || epoch == 0) {
      return examples();
    }
    return new Examples(records, config.maxLen(), config.maxPreds(), Seeds.mix(config.seed() ^ DYNAMIC_MASKS, epoch),
        masker);
  }

  /** Keeps the dynamic masks' streams apart from the build's (which come from the same seed). */
  private static final long DYNAMIC_MASKS = 0x6D61736B73L;

  private static final class Examples extends AbstractList<PretrainingExample> implements RandomAccess {
    private final ExampleRecords records;
    private final int maxLen;
    private final int maxPreds;
    private final Long maskSeed; // null: the masks drawn at build time
    private final MaskedLm masker;

    Examples(ExampleRecords records, int maxLen, int maxPreds, Long maskSeed, MaskedLm masker) {
      this.records = records;
      this.maxLen = maxLen;
      this.maxPreds = maxPreds;
      this.maskSeed = maskSeed;
      this.masker = masker;
    }

    @Override
    public PretrainingExample get(int index) {
      if (maskSeed == null) {
        return records.example(index);
      }
      return records.compact(index).remasked(masker, new SplittableRandom(Seeds.mix(maskSeed, index)))
          .padded(maxLen, maxPreds, masker.specials().pad());
    }

    @Override
    public int size() {
      return records.size();
    }
  }

  /** The cache file the examples are mapped from, and whether it was reused; empty when built in memory. */
  public Optional<ExampleCache.Use> cache() {
    return Optional.ofNullable(cache);
  }

  public DatasetStats stats() {
    return stats;
  }

  public DataConfig config() {
    return config;
  }

  /** The counts of the random draws (NSP before the max_len drop, the 80/10/10 of the masks). */
  public DrawCounts draws() {
    return draws;
  }

  /**
   * The unmasked, unpadded tokens of example {@code index} ({@code <cls> a <sep> b <sep>}), rebuilt from the sentences
   * it was drawn from: what the masked-LM labels must equal.
   */
  public int[] originalTokenIds(int index) {
    int[] s = records.source(index);
    int[] a = text().sentence(s[0], s[1]);
    int[] b = text().sentence(s[2], s[3]);
    return SentencePair.ids(a, b, vocab.specials(), SentencePair.length(a.length, b.length));
  }

  /** Paragraph and sentence index (in shuffled order) of a and of b of example {@code index}. */
  public int[] source(int index) {
    return records.source(index);
  }

  /** Token ids of sentence {@code s} of paragraph {@code p} (shuffled order). */
  public int[] sentence(int p, int s) {
    return text().sentence(p, s);
  }

  private Source text() {
    if (source == null) {
      throw new IllegalStateException("the examples were read from a cache file, which keeps no sentences");
    }
    return source;
  }
}
