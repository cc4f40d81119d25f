package dev.jbert.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The fast path of {@link Paragraphs#fromLines}: the same paragraphs, but as token numbers of one {@link TokenTable}
 * with their counts, built on all cores over contiguous ranges of lines (a test checks the two paths agree). With a
 * WordPiece tokenizer the paragraphs hold its ids directly, and there is no table.
 */
final class TokenizedCorpus {
  final TokenTable table; // null: the paragraphs hold a tokenizer's ids
  final int[] counts; // occurrences per table id; null without a table
  final int[][][] paragraphs; // file order, (paragraph, sentence, table id or tokenizer id)

  private TokenizedCorpus(TokenTable table, int[] counts, int[][][] paragraphs) {
    this.table = table;
    this.counts = counts;
    this.paragraphs = paragraphs;
  }

  private record Chunk(TokenTable table, int[] counts, List<int[][]> paragraphs) {}

  static TokenizedCorpus of(List<String> lines) {
    int n = lines.size();
    int chunks = Math.max(1, Math.min(n / 256 + 1, 8 * Runtime.getRuntime().availableProcessors()));
    List<Chunk> parts = IntStream.range(0, chunks).parallel()
        .mapToObj(c -> chunk(lines.subList((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks))))
        .toList();
    // number the chunks' tokens globally, in chunk order
    TokenTable table = new TokenTable(1 << 16);
    int[] counts = new int[1 << 16];
    int[][] remaps = new int[chunks][];
    int paragraphCount = 0;
    for (int c = 0; c < chunks; c++) {
      Chunk part = parts.get(c);
      int[] remap = new int[part.table.size()];
      for (int local = 0; local < remap.length; local++) {
        int global = table.idOf(part.table.token(local));
        if (global >= counts.length) {
          counts = Arrays.copyOf(counts, Math.max(global + 1, counts.length * 2));
        }
        counts[global] += part.counts[local];
        remap[local] = global;
      }
      remaps[c] = remap;
      paragraphCount += part.paragraphs.size();
    }
    int[][][] paragraphs = new int[paragraphCount][][];
    int[] offsets = new int[chunks];
    for (int c = 0, at = 0; c < chunks; at += parts.get(c).paragraphs.size(), c++) {
      offsets[c] = at;
    }
    IntStream.range(0, chunks).parallel().forEach(c -> {
      int[] remap = remaps[c];
      List<int[][]> ps = parts.get(c).paragraphs;
      for (int p = 0; p < ps.size(); p++) {
        for (int[] sentence : ps.get(p)) {
          for (int i = 0; i < sentence.length; i++) {
            sentence[i] = remap[sentence[i]];
          }
        }
        paragraphs[offsets[c] + p] = ps.get(p);
      }
    });
    return new TokenizedCorpus(table, Arrays.copyOf(counts, table.size()), paragraphs);
  }

  /**
   * Documents of sentences as d2l's words ({@link Paragraphs#tokenize}), in order; a sentence without a word and a
   * document without a sentence are left out.
   */
  static TokenizedCorpus ofDocuments(List<List<String>> documents) {
    TokenTable table = new TokenTable(1 << 14);
    int[] counts = new int[1 << 14];
    List<int[][]> paragraphs = new ArrayList<>(documents.size());
    List<int[]> sentences = new ArrayList<>();
    for (List<String> document : documents) {
      sentences.clear();
      for (String sentence : document) {
        List<String> words = Paragraphs.tokenize(sentence);
        if (words.isEmpty()) {
          continue;
        }
        int[] ids = new int[words.size()];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = table.idOf(words.get(i));
          if (ids[i] >= counts.length) {
            counts = Arrays.copyOf(counts, counts.length * 2);
          }
          counts[ids[i]]++;
        }
        sentences.add(ids);
      }
      if (!sentences.isEmpty()) {
        paragraphs.add(sentences.toArray(int[][]::new));
      }
    }
    return new TokenizedCorpus(table, Arrays.copyOf(counts, table.size()), paragraphs.toArray(int[][][]::new));
  }

  /**
   * WikiText lines as paragraphs of {@code tokenizer}'s ids: d2l's kept lines and sentence split (spec section 2),
   * each sentence's text, in its case, handed to the tokenizer.
   */
  static TokenizedCorpus of(List<String> lines, Tokenizer tokenizer) {
    int[][][] paragraphs = lines.parallelStream()
        .filter(Paragraphs::isKept)
        .map(line -> Paragraphs.sentences(line).stream().map(tokenizer::encode).toArray(int[][]::new))
        .toArray(int[][][]::new);
    return new TokenizedCorpus(null, null, paragraphs);
  }

  /**
   * Documents of sentences as {@code tokenizer}'s ids, in order; as {@link #ofDocuments(List)}, a sentence without a
   * token and a document without a sentence are left out.
   */
  static TokenizedCorpus ofDocuments(List<List<String>> documents, Tokenizer tokenizer) {
    int[][][] paragraphs = documents.parallelStream()
        .map(document -> document.stream().map(tokenizer::encode).filter(ids -> ids.length > 0).toArray(int[][]::new))
        .filter(sentences -> sentences.length > 0)
        .toArray(int[][][]::new);
    return new TokenizedCorpus(null, null, paragraphs);
  }

  private static Chunk chunk(List<String> lines) {
    LineTokenizer tokenizer = new LineTokenizer();
    for (String line : lines) {
      tokenizer.line(line);
    }
    return new Chunk(tokenizer.table, tokenizer.counts, tokenizer.paragraphs);
  }

  /** Tokenizes lines on a reused char buffer: small methods over arrays, which the JIT compiles early. */
  private static final class LineTokenizer {
    final TokenTable table = new TokenTable(1 << 14);
    int[] counts = new int[1 << 14];
    final List<int[][]> paragraphs = new ArrayList<>();
    private final List<int[]> sentences = new ArrayList<>();
    private char[] buf = new char[1024];
    private int[] ids = new int[256];

    void line(String line) {
      if (!Paragraphs.isKept(line)) {
        return;
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
      paragraphs.add(sentences(from, to));
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
        int id = table.idOf(b, start, i, h);
        if (id >= counts.length) {
          counts = Arrays.copyOf(counts, counts.length * 2);
        }
        counts[id]++;
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
