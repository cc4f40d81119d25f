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
import java.util.RandomAccess;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Spec sections 2-6 as one pure stage: corpus lines (or documents of sentences) + {@link DataConfig} to padded
 * {@link PretrainingExample}s and {@link DatasetStats}. Every draw comes from {@code config.seed()}: the paragraph
 * shuffle from one stream, then each paragraph's NSP pairs and masks from its own stream, so the paragraphs are built
 * on all cores and the result does not depend on the thread schedule. A WikiText paragraph and a document of the
 * other formats play the same part; only where a "not next" sentence comes from differs (see {@link RandomSentence}).
 */
public final class PretrainingDataset {
  private static final int VOCAB_HEAD = 12;

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

  private final DataConfig config;
  private final Tokenizer vocab;
  private final MaskedLm masker;
  private final int[][][] paragraphs; // shuffled order, (paragraph, sentence, token id)
  private final CompactExample[] examples;
  private final int[][] sources; // per example: paragraph and sentence of a, paragraph and sentence of b
  private final DrawCounts draws;
  private final DatasetStats stats;

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

  private PretrainingDataset(DataConfig config, Tokenizer vocab, MaskedLm masker, int[][][] paragraphs,
      CompactExample[] examples, int[][] sources, DrawCounts draws, DatasetStats stats) {
    this.config = config;
    this.vocab = vocab;
    this.masker = masker;
    this.paragraphs = paragraphs;
    this.examples = examples;
    this.sources = sources;
    this.draws = draws;
    this.stats = stats;
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
    return build(words(tokenizer) ? TokenizedCorpus.of(lines) : TokenizedCorpus.of(lines, tokenizer), tokenizer,
        config, () -> sha256(lines), RandomSentence.ANY_PARAGRAPH);
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
    return build(words(tokenizer) ? TokenizedCorpus.ofDocuments(documents)
        : TokenizedCorpus.ofDocuments(documents, tokenizer), tokenizer, config, () -> sha256,
        RandomSentence.OTHER_DOCUMENT);
  }

  /** Whether the text is split into d2l's words (then counted in a table and mapped to the vocabulary's ids). */
  private static boolean words(Tokenizer tokenizer) {
    return tokenizer == null || tokenizer.kind() == Tokenizer.Kind.WORDS;
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
    List<String> lines = corpus.trainLines();
    return build(words(tokenizer) ? TokenizedCorpus.of(lines) : TokenizedCorpus.of(lines, tokenizer), tokenizer,
        config, corpus::trainSha256, RandomSentence.ANY_PARAGRAPH);
  }

  private static PretrainingDataset build(TokenizedCorpus corpus, Tokenizer vocab, DataConfig config,
      Supplier<String> sha, RandomSentence randomSentence) {
    long start = System.nanoTime();
    int[][][] ids = corpus.paragraphs;
    if (ids.length == 0) {
      throw new JbertException(randomSentence == RandomSentence.ANY_PARAGRAPH
          ? "the corpus has no paragraph (no line contains \" . \"): pass --data with WikiText-2"
          : "the corpus is empty: it holds no word");
    }
    SplittableRandom root = new SplittableRandom(config.seed());
    shuffle(ids, root);
    long paragraphSeed = root.nextLong();
    Tokenizer v = vocab != null ? vocab : Vocab.fromCounts(corpus.table, corpus.counts, ids, config.minFreq());
    if (corpus.table != null) { // d2l's words: table numbers to vocabulary ids
      int[] tableToVocab = new int[corpus.table.size()];
      for (int t = 0; t < tableToVocab.length; t++) {
        tableToVocab[t] = v.id(corpus.table.token(t));
      }
      Arrays.stream(ids).parallel().forEach(p -> {
        for (int[] sentence : p) {
          for (int i = 0; i < sentence.length; i++) {
            sentence[i] = tableToVocab[sentence[i]];
          }
        }
      });
    }

    MaskedLm masker = new MaskedLm(config.masking(), v);
    List<ParagraphExamples> built = IntStream.range(0, ids.length).parallel()
        .mapToObj(i -> buildParagraph(i, ids, masker, config, randomSentence,
            new SplittableRandom(Seeds.mix(paragraphSeed, i))))
        .toList();

    List<CompactExample> examples = new ArrayList<>();
    List<int[]> sources = new ArrayList<>();
    long[] counts = new long[5];
    for (ParagraphExamples p : built) {
      examples.addAll(p.examples);
      sources.addAll(p.sources);
      for (int c = 0; c < counts.length; c++) {
        counts[c] += p.counts[c];
      }
    }
    DrawCounts draws = new DrawCounts(counts[0], counts[1], counts[2], counts[3], counts[4]);
    String checksum = sha.get();
    double seconds = (System.nanoTime() - start) / 1e9;
    DatasetStats stats = stats(v, ids, examples, seconds, checksum);
    return new PretrainingDataset(config, v, masker, ids, examples.toArray(CompactExample[]::new),
        sources.toArray(int[][]::new), draws, stats);
  }

  private record ParagraphExamples(List<CompactExample> examples, List<int[]> sources, long[] counts) {}

  /**
   * An example as it is kept on the heap: no padding, so a long max_len costs memory only where pairs are long (the
   * padded form of all WikiText-2 pairs at max_len 512 would take about 600 MB).
   *
   * @param tokens {@code <cls> a <sep> b <sep>} with the masked LM's replacements (the valid length)
   * @param bStart index of the first token of segment 1 ({@code a.length + 2})
   * @param predPositions the real prediction slots, increasing
   * @param labels the original tokens at {@code predPositions}
   */
  private record CompactExample(int[] tokens, int bStart, int[] predPositions, int[] labels, boolean isNext) {
    /** The same pair with masks drawn afresh from {@code rng} (the original tokens put back first). */
    CompactExample remasked(MaskedLm masker, SplittableRandom rng) {
      int[] fresh = tokens.clone();
      for (int k = 0; k < predPositions.length; k++) {
        fresh[predPositions[k]] = labels[k];
      }
      int[] original = fresh.clone();
      int[] positions = masker.maskInPlace(fresh, fresh.length, rng, new long[MaskedLm.Action.values().length]);
      int[] newLabels = new int[positions.length];
      for (int k = 0; k < positions.length; k++) {
        newLabels[k] = original[positions[k]];
      }
      return new CompactExample(fresh, bStart, positions, newLabels, isNext);
    }

    PretrainingExample padded(int maxLen, int maxPreds, int pad) {
      int[] ids = Arrays.copyOf(tokens, maxLen);
      Arrays.fill(ids, tokens.length, maxLen, pad);
      int aLength = bStart - SentencePair.bStart(0);
      int[] segments = SentencePair.segments(aLength, tokens.length - bStart - 1, maxLen);
      float[] weights = new float[maxPreds];
      Arrays.fill(weights, 0, predPositions.length, 1f);
      return new PretrainingExample(ids, segments, tokens.length, Arrays.copyOf(predPositions, maxPreds), weights,
          Arrays.copyOf(labels, maxPreds), isNext);
    }
  }

  /** Spec sections 4-6 for paragraph {@code p}: NSP pairs, the max_len drop, masks, padding. */
  private static ParagraphExamples buildParagraph(int p, int[][][] paragraphs, MaskedLm masker, DataConfig config,
      RandomSentence randomSentence, SplittableRandom rng) {
    int[][] paragraph = paragraphs[p];
    List<CompactExample> examples = new ArrayList<>();
    List<int[]> sources = new ArrayList<>();
    long[] counts = new long[5]; // pairs drawn, is_next drawn, then MaskedLm.Action counts
    long[] actions = new long[MaskedLm.Action.values().length];
    for (int i = 0; i + 1 < paragraph.length; i++) {
      int pb = p;
      int sb = i + 1;
      boolean isNext = rng.nextDouble() < 0.5;
      if (!isNext) { // a random sentence of a random paragraph; it may by chance be the true next one
        if (randomSentence == RandomSentence.ANY_PARAGRAPH || paragraphs.length == 1) {
          pb = rng.nextInt(paragraphs.length);
        } else {
          pb = rng.nextInt(paragraphs.length - 1);
          pb += pb >= p ? 1 : 0;
        }
        sb = rng.nextInt(paragraphs[pb].length);
      }
      counts[0]++;
      counts[1] += isNext ? 1 : 0;
      int[] a = paragraph[i];
      int[] b = paragraphs[pb][sb];
      if (SentencePair.length(a.length, b.length) > config.maxLen()) {
        continue;
      }
      examples.add(compact(a, b, isNext, masker, rng, actions));
      sources.add(new int[] {p, i, pb, sb});
    }
    for (int c = 0; c < actions.length; c++) {
      counts[2 + c] = actions[c];
    }
    return new ParagraphExamples(examples, sources, counts);
  }

  private static CompactExample compact(
      int[] a, int[] b, boolean isNext, MaskedLm masker, SplittableRandom rng, long[] actions) {
    int validLen = SentencePair.length(a.length, b.length);
    int[] tokens = SentencePair.ids(a, b, masker.specials(), validLen);
    int[] original = tokens.clone();
    int[] positions = masker.maskInPlace(tokens, validLen, rng, actions);
    int[] labels = new int[positions.length];
    for (int k = 0; k < positions.length; k++) {
      labels[k] = original[positions[k]];
    }
    return new CompactExample(tokens, SentencePair.bStart(a.length), positions, labels, isNext);
  }

  /** {@code <cls> a <sep> b <sep>} with d2l's ids, padded with {@code <pad>} to {@code maxLen} ({@link SentencePair}). */
  public static int[] tokens(int[] a, int[] b, int maxLen) {
    return SentencePair.ids(a, b, Vocab.SPECIALS, maxLen);
  }

  /** 0 for {@code <cls> a <sep>}, 1 for {@code b <sep>}, 0 on the padding up to {@code maxLen}. */
  public static int[] segments(int[] a, int[] b, int maxLen) {
    return SentencePair.segments(a.length, b.length, maxLen);
  }

  /** Fisher-Yates, as Python's {@code random.shuffle}. */
  static <T> void shuffle(T[] items, SplittableRandom rng) {
    for (int i = items.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      T t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
  }

  private static DatasetStats stats(Tokenizer vocab, int[][][] paragraphs, List<CompactExample> examples,
      double seconds, String sha) {
    int sentences = 0;
    long tokens = 0;
    long unknown = 0;
    for (int[][] p : paragraphs) {
      sentences += p.length;
      for (int[] sentence : p) {
        tokens += sentence.length;
        for (int id : sentence) {
          unknown += id == vocab.specials().unk() ? 1 : 0;
        }
      }
    }
    long validLen = 0;
    long preds = 0;
    long next = 0;
    for (CompactExample e : examples) {
      validLen += e.tokens().length;
      preds += e.predPositions().length;
      next += e.isNext() ? 1 : 0;
    }
    double n = Math.max(1, examples.size());
    return new DatasetStats(vocab.size(), paragraphs.length, sentences, tokens, unknown / (double) Math.max(1, tokens),
        examples.size(), validLen / n, preds / n, next / n,
        vocab.tokens().subList(0, Math.min(VOCAB_HEAD, vocab.size())), seconds, sha);
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
    return new Examples(examples, config.maxLen(), config.maxPreds(), null, masker);
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
    return new Examples(examples, config.maxLen(), config.maxPreds(), Seeds.mix(config.seed() ^ DYNAMIC_MASKS, epoch),
        masker);
  }

  /** Keeps the dynamic masks' streams apart from the build's (which come from the same seed). */
  private static final long DYNAMIC_MASKS = 0x6D61736B73L;

  private static final class Examples extends AbstractList<PretrainingExample> implements RandomAccess {
    private final CompactExample[] examples;
    private final int maxLen;
    private final int maxPreds;
    private final Long maskSeed; // null: the masks drawn at build time
    private final MaskedLm masker;

    Examples(CompactExample[] examples, int maxLen, int maxPreds, Long maskSeed, MaskedLm masker) {
      this.examples = examples;
      this.maxLen = maxLen;
      this.maxPreds = maxPreds;
      this.maskSeed = maskSeed;
      this.masker = masker;
    }

    @Override
    public PretrainingExample get(int index) {
      CompactExample e = examples[index];
      if (maskSeed != null) {
        e = e.remasked(masker, new SplittableRandom(Seeds.mix(maskSeed, index)));
      }
      return e.padded(maxLen, maxPreds, masker.specials().pad());
    }

    @Override
    public int size() {
      return examples.length;
    }
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
    int[] s = sources[index];
    int[] a = paragraphs[s[0]][s[1]];
    int[] b = paragraphs[s[2]][s[3]];
    return SentencePair.ids(a, b, vocab.specials(), SentencePair.length(a.length, b.length));
  }

  /** Paragraph and sentence index (in shuffled order) of a and of b of example {@code index}. */
  public int[] source(int index) {
    return sources[index].clone();
  }

  /** Token ids of sentence {@code s} of paragraph {@code p} (shuffled order). */
  public int[] sentence(int p, int s) {
    return paragraphs[p][s].clone();
  }
}
