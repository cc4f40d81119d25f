package dev.jbert.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ForkJoinTask;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Text as token numbers, streamed: WikiText lines (d2l's kept lines and sentence split, spec section 2) or documents of
 * sentences go in one at a time, and their tokens go out to an {@link Ints.Writer} (the heap, or a file for a corpus
 * of any size), so only the offsets stay on the heap. With d2l's words the numbers are those of one
 * {@link TokenTable}, with their counts, for the vocabulary to be built from; with a WordPiece tokenizer they are its
 * ids, and there is no table. Paragraphs (kept lines or documents) stay in the order they came in.
 *
 * <p>The text is tokenized in batches, each split into chunks that the cores tokenize at once (each with a table of
 * its own, merged in order afterwards, so the numbering is that of one sequential pass) while the next batch is read.
 */
final class TokenizedCorpus {
  /** Text per batch: enough to keep the cores busy, little enough to stay a small part of the heap. */
  private static final int BATCH_CHARS = 2 << 20;
  private static final Logger LOG = LoggerFactory.getLogger(TokenizedCorpus.class);

  final TokenTable table; // null: the tokens are a tokenizer's ids
  final int[] counts; // occurrences per table id; null without a table
  final Ints tokens;
  private final long[] sentenceStart; // sentence s holds tokens [sentenceStart[s], sentenceStart[s + 1])
  private final int[] paragraphStart; // paragraph p holds sentences [paragraphStart[p], paragraphStart[p + 1])
  private final long unknown; // tokens equal to the tokenizer's <unk>; -1 with a table

  private TokenizedCorpus(TokenTable table, int[] counts, Ints tokens, long[] sentenceStart, int[] paragraphStart,
      long unknown) {
    this.table = table;
    this.counts = counts;
    this.tokens = tokens;
    this.sentenceStart = sentenceStart;
    this.paragraphStart = paragraphStart;
    this.unknown = unknown;
  }

  /** WikiText lines as d2l's words. */
  static TokenizedCorpus of(List<String> lines) {
    return of(lines, null);
  }

  /** WikiText lines as {@code tokenizer}'s ids (null or d2l's words: table numbers). */
  static TokenizedCorpus of(List<String> lines, Tokenizer tokenizer) {
    Builder b = new Builder(tokenizer, Ints.Writer.inMemory());
    lines.forEach(b::wikiTextLine);
    return b.finish();
  }

  /** Documents of sentences as d2l's words; a sentence without a word and a document without a sentence left out. */
  static TokenizedCorpus ofDocuments(List<List<String>> documents) {
    return ofDocuments(documents, null);
  }

  /** Documents of sentences as {@code tokenizer}'s ids (null or d2l's words: table numbers), as {@link #ofDocuments}. */
  static TokenizedCorpus ofDocuments(List<List<String>> documents, Tokenizer tokenizer) {
    Builder b = new Builder(tokenizer, Ints.Writer.inMemory());
    documents.forEach(d -> b.document(d));
    return b.finish();
  }

  int paragraphs() {
    return paragraphStart.length - 1;
  }

  int sentenceCount() {
    return paragraphStart[paragraphStart.length - 1];
  }

  long tokenCount() {
    return tokens.size();
  }

  /** Sentences of paragraph {@code p} (file order). */
  int sentences(int p) {
    return paragraphStart[p + 1] - paragraphStart[p];
  }

  /** The tokens of sentence {@code s} of paragraph {@code p}, mapped by {@code remap} unless it is null. */
  int[] sentence(int p, int s, int[] remap) {
    int at = paragraphStart[p] + s;
    long from = sentenceStart[at];
    int[] out = new int[(int) (sentenceStart[at + 1] - from)];
    tokens.get(from, out, 0, out.length);
    if (remap != null) {
      for (int i = 0; i < out.length; i++) {
        out[i] = remap[out[i]];
      }
    }
    return out;
  }

  /** The first token of paragraph {@code p} and the one after its last: its tokens are contiguous. */
  long paragraphFrom(int p) {
    return sentenceStart[paragraphStart[p]];
  }

  long paragraphTo(int p) {
    return sentenceStart[paragraphStart[p + 1]];
  }

  /** Tokens equal to {@code <unk>} of the tokenizer (tokenizer ids only). */
  long unknownTokens() {
    if (table != null) {
      throw new IllegalStateException("table numbers: count the unknown words from the vocabulary");
    }
    return unknown;
  }

  /** What one chunk of a batch became: its paragraphs in order, in the chunk's own table when there is one. */
  private record Chunk(TokenTable table, int[] counts, List<int[][]> paragraphs) {}

  /** One line or one document of a batch. */
  private record Item(String line, CorpusFormat.Document document) {}

  /** Takes text in order, tokenizes it a batch at a time and writes the tokens out. */
  static final class Builder {
    private final Tokenizer tokenizer; // null: d2l's words into the table
    private final Ints.Writer out;
    private final TokenTable table;
    private int[] counts;
    private long[] sentenceStart = new long[1 << 10];
    private int[] paragraphStart = new int[1 << 10];
    private int sentences;
    private int paragraphs;
    private long unknown;
    private List<Item> batch = new ArrayList<>();
    private long batchChars;
    private List<ForkJoinTask<Chunk>> pending;
    private final long start = System.nanoTime();

    /** {@code tokenizer}: null or d2l's words for table numbers, else its ids. */
    Builder(Tokenizer tokenizer, Ints.Writer out) {
      boolean words = tokenizer == null || tokenizer.kind() == Tokenizer.Kind.WORDS;
      this.tokenizer = words ? null : tokenizer;
      this.out = out;
      this.table = words ? new TokenTable(1 << 16) : null;
      this.counts = words ? new int[1 << 16] : null;
    }

    /** A WikiText line: a paragraph when d2l keeps it ({@link Paragraphs#isKept}). */
    void wikiTextLine(String line) {
      if (Paragraphs.isKept(line)) {
        add(new Item(line, null), line.length());
      }
    }

    /** A document of sentences. */
    void document(List<String> document) {
      document(CorpusFormat.Document.of(document));
    }

    /** A document; a paragraph's sentences are found on the thread that tokenizes it. */
    void document(CorpusFormat.Document document) {
      add(new Item(null, document), document.chars());
    }

    private void add(Item item, long chars) {
      batch.add(item);
      batchChars += chars;
      if (batchChars >= BATCH_CHARS) {
        flush();
      }
    }

    /**
     * Merges the batch before, then forks this one's chunks: the pool's threads tokenize them while this thread reads
     * the next batch, and what they have not started when it comes back this thread tokenizes itself.
     */
    private void flush() {
      merge();
      List<Item> items = batch;
      batch = new ArrayList<>();
      batchChars = 0;
      int n = items.size();
      int chunks = Math.max(1, Math.min(n / 64 + 1, 2 * Runtime.getRuntime().availableProcessors()));
      pending = new ArrayList<>(chunks);
      for (int c = 0; c < chunks; c++) {
        List<Item> part = items.subList((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
        pending.add(ForkJoinTask.adapt(() -> chunk(part)).fork());
      }
    }

    private void merge() {
      if (pending != null) {
        // the last forked first: a task not yet taken is unforked and run here; the pool takes them from the front
        for (int c = pending.size() - 1; c >= 0; c--) {
          pending.get(c).join();
        }
        pending.forEach(task -> append(task.join()));
        pending = null;
      }
    }

    TokenizedCorpus finish() {
      flush();
      merge();
      long[] starts = Arrays.copyOf(sentenceStart, sentences + 1);
      starts[sentences] = out.size();
      LOG.debug("{} paragraphs, {} tokens tokenized in {} s", paragraphs, out.size(), (System.nanoTime() - start) / 1e9);
      int[] paragraphStarts = Arrays.copyOf(paragraphStart, paragraphs + 1);
      paragraphStarts[paragraphs] = sentences;
      return new TokenizedCorpus(table, table == null ? null : Arrays.copyOf(counts, table.size()), out.finish(),
          starts, paragraphStarts, table == null ? unknown : -1);
    }

    private Chunk chunk(List<Item> items) {
      List<int[][]> paragraphs = new ArrayList<>(items.size());
      if (tokenizer == null) {
        LineTokenizer words = new LineTokenizer();
        for (Item item : items) {
          int[][] p = item.line != null ? words.line(item.line) : words.document(item.document.sentences());
          if (p != null) {
            paragraphs.add(p);
          }
        }
        return new Chunk(words.table, words.counts, paragraphs);
      }
      for (Item item : items) {
        int[][] p = item.line != null
            ? Paragraphs.sentences(item.line).stream().map(tokenizer::encode).toArray(int[][]::new)
            : item.document.sentences().stream().map(tokenizer::encode).filter(ids -> ids.length > 0)
                .toArray(int[][]::new);
        if (p.length > 0) {
          paragraphs.add(p);
        }
      }
      return new Chunk(null, null, paragraphs);
    }

    private void append(Chunk chunk) {
      int[] remap = null;
      if (chunk.table != null) { // the chunk's numbers to the global table's, counts added up
        remap = new int[chunk.table.size()];
        for (int local = 0; local < remap.length; local++) {
          int global = table.idOf(chunk.table.token(local));
          if (global >= counts.length) {
            counts = Arrays.copyOf(counts, Math.max(global + 1, counts.length * 2));
          }
          counts[global] += chunk.counts[local];
          remap[local] = global;
        }
      }
      int unk = tokenizer == null ? -1 : tokenizer.specials().unk();
      for (int[][] paragraph : chunk.paragraphs) {
        if (paragraphs + 1 >= paragraphStart.length) {
          paragraphStart = Arrays.copyOf(paragraphStart, paragraphStart.length * 2);
        }
        paragraphStart[paragraphs++] = sentences;
        for (int[] sentence : paragraph) {
          if (remap != null) {
            for (int i = 0; i < sentence.length; i++) {
              sentence[i] = remap[sentence[i]];
            }
          } else {
            for (int id : sentence) {
              unknown += id == unk ? 1 : 0;
            }
          }
          if (sentences + 1 >= sentenceStart.length) {
            sentenceStart = Arrays.copyOf(sentenceStart, sentenceStart.length * 2);
          }
          sentenceStart[sentences++] = out.size();
          out.add(sentence, 0, sentence.length);
        }
      }
    }
  }

  /** Tokenizes lines on a reused char buffer: small methods over arrays, which the JIT compiles early. */
  private static final class LineTokenizer {
    final TokenTable table = new TokenTable(1 << 14);
    int[] counts = new int[1 << 14];
    private final List<int[]> sentences = new ArrayList<>();
    private char[] buf = new char[1024];
    private int[] ids = new int[256];

    /** The kept line's sentences of table ids; null for a line d2l drops. */
    int[][] line(String line) {
      if (!Paragraphs.isKept(line)) {
        return null;
      }
      int len = load(line);
      for (int i = 0; i < len; i++) {
        if (buf[i] >= 0x80) { // outside ASCII: let the JDK lower-case the line exactly
          len = load(line.toLowerCase(Locale.ROOT));
          break;
        }
      }
      int from = 0;
      int to = len;
      while (from < to && isSpace(buf[from])) {
        from++;
      }
      while (to > from && isSpace(buf[to - 1])) {
        to--;
      }
      return sentences(from, to);
    }

    /** A document's sentences as d2l's words ({@link Paragraphs#tokenize}), empty ones left out; null when none. */
    int[][] document(List<String> document) {
      sentences.clear();
      for (String sentence : document) {
        List<String> words = Paragraphs.tokenize(sentence);
        if (words.isEmpty()) {
          continue;
        }
        int[] out = new int[words.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = count(table.idOf(words.get(i)));
        }
        sentences.add(out);
      }
      return sentences.isEmpty() ? null : sentences.toArray(int[][]::new);
    }

    private int count(int id) {
      if (id >= counts.length) {
        counts = Arrays.copyOf(counts, counts.length * 2);
      }
      counts[id]++;
      return id;
    }

    /**
     * One pass over the stripped line buf[from, to): lower-cases ASCII letters, cuts words at whitespace and sentences
     * at each {@code " . "}, matched left to right without overlap as Python's {@code split(' . ')}: a word "." is a
     * separator when a space precedes it that no earlier separator took, and a space follows it.
     */
    private int[][] sentences(int from, int to) {
      char[] b = buf;
      sentences.clear();
      int k = 0;
      int taken = from; // chars before this belong to an earlier separator
      int i = from;
      while (i < to) {
        char c = b[i];
        if (isSpace(c)) {
          i++;
          continue;
        }
        int start = i;
        int h = 0;
        while (true) {
          if (c >= 'A' && c <= 'Z') {
            c = (char) (c + ('a' - 'A'));
            b[i] = c;
          }
          h = 31 * h + c;
          if (++i == to || isSpace(c = b[i])) {
            break;
          }
        }
        if (i - start == 1 && b[start] == '.' && start - 1 >= taken && b[start - 1] == ' ' && i < to && b[i] == ' ') {
          sentences.add(Arrays.copyOf(ids, k));
          k = 0;
          taken = i + 1;
          continue;
        }
        int id = count(table.idOf(b, start, i, h));
        if (k == ids.length) {
          ids = Arrays.copyOf(ids, k * 2);
        }
        ids[k++] = id;
      }
      sentences.add(Arrays.copyOf(ids, k));
      return sentences.toArray(int[][]::new);
    }

    private int load(String s) {
      if (buf.length < s.length()) {
        buf = new char[Math.max(s.length(), buf.length * 2)];
      }
      s.getChars(0, s.length(), buf, 0);
      return s.length();
    }

    private static boolean isSpace(char c) {
      return (c <= ' ' || c >= '\u0085') && Paragraphs.isSpace(c);
    }
  }
}
