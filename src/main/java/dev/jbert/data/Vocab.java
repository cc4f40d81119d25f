package dev.jbert.data;

import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Spec section 3: {@code <unk>}=0, the reserved tokens {@code <pad> <mask> <cls> <sep>}, then every token seen at
 * least {@code minFreq} times by frequency descending, ties in order of first occurrence (d2l's {@code Vocab}).
 */
public final class Vocab implements Tokenizer {
  public static final int UNK = 0;
  public static final int PAD = 1;
  public static final int MASK = 2;
  public static final int CLS = 3;
  public static final int SEP = 4;
  public static final List<String> RESERVED = List.of("<unk>", "<pad>", "<mask>", "<cls>", "<sep>");
  /** The reserved tokens' ids, which every d2l vocabulary shares. */
  public static final SpecialIds SPECIALS = new SpecialIds(PAD, UNK, CLS, SEP, MASK);

  private final List<String> tokens;
  private final Map<String, Integer> ids;

  private Vocab(List<String> tokens) {
    this.tokens = List.copyOf(tokens);
    this.ids = new HashMap<>(tokens.size() * 2);
    for (int i = 0; i < tokens.size(); i++) {
      if (ids.putIfAbsent(tokens.get(i), i) != null) {
        throw new IllegalArgumentException("duplicate token " + tokens.get(i) + " at id " + i);
      }
    }
  }

  /**
   * d2l's vocabulary from token numbers: the corpus's counts per table id, first occurrences taken from its paragraphs
   * in the given (shuffled) order.
   */
  static Vocab fromCounts(TokenizedCorpus corpus, int[] paragraphOrder, int minFreq) {
    TokenTable table = corpus.table;
    int[] counts = corpus.counts;
    // rank = order of first occurrence; sort keys (count descending, rank ascending) packed in one long
    int[] rankOf = new int[table.size()];
    Arrays.fill(rankOf, -1);
    int[] byRank = new int[table.size()];
    int ranks = 0;
    int[] buf = new int[1 << 14];
    for (int q = 0; q < paragraphOrder.length && ranks < byRank.length; q++) {
      long to = corpus.paragraphTo(paragraphOrder[q]);
      for (long from = corpus.paragraphFrom(paragraphOrder[q]); from < to; from += buf.length) {
        int n = (int) Math.min(buf.length, to - from);
        corpus.tokens.get(from, buf, 0, n);
        for (int i = 0; i < n; i++) {
          int t = buf[i];
          if (rankOf[t] < 0) {
            rankOf[t] = ranks;
            byRank[ranks++] = t;
          }
        }
      }
    }
    long[] keys = new long[ranks];
    int n = 0;
    for (int r = 0; r < ranks; r++) {
      int count = counts[byRank[r]];
      if (count >= minFreq) {
        keys[n++] = ((long) (Integer.MAX_VALUE - count) << 32) | r;
      }
    }
    Arrays.sort(keys, 0, n);
    List<String> order = new ArrayList<>(RESERVED);
    for (int i = 0; i < n; i++) {
      String token = table.token(byRank[(int) keys[i]]);
      if (!RESERVED.contains(token)) {
        order.add(token);
      }
    }
    return new Vocab(order);
  }

  /** The vocabulary of these tokens (id = index), which must start with {@link #RESERVED}. */
  static Vocab of(List<String> tokens) {
    if (tokens.size() < RESERVED.size() || !tokens.subList(0, RESERVED.size()).equals(RESERVED)) {
      throw new IllegalArgumentException("a d2l vocabulary starts with " + String.join(" ", RESERVED));
    }
    return new Vocab(tokens);
  }

  /** Reads {@code vocab.txt}: one token a line, id = line number (from 0). */
  public static Vocab load(Path vocabTxt) {
    List<String> lines;
    try {
      lines = Files.readAllLines(vocabTxt, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new JbertException("no vocabulary at " + vocabTxt + ": pass the folder of a run that wrote vocab.txt");
    } catch (IOException | UncheckedIOException e) {
      throw new JbertException("cannot read the vocabulary " + vocabTxt + " (" + e.getMessage()
          + "): check the file or rebuild it with a fresh run");
    }
    if (lines.size() < RESERVED.size() || !lines.subList(0, RESERVED.size()).equals(RESERVED)) {
      throw new JbertException("not a jbert vocabulary: " + vocabTxt + " must start with the lines "
          + String.join(" ", RESERVED) + "; rebuild it with a fresh run");
    }
    try {
      return new Vocab(lines);
    } catch (IllegalArgumentException e) {
      throw new JbertException("bad vocabulary " + vocabTxt + ": " + e.getMessage() + "; rebuild it with a fresh run");
    }
  }

  /** Writes {@code vocab.txt} (one token a line) through a temporary file renamed into place. */
  public void save(Path vocabTxt) {
    AtomicFiles.writeString(vocabTxt, String.join("\n", tokens) + "\n");
  }

  @Override
  public int size() {
    return tokens.size();
  }

  /** The id of {@code token}; unknown tokens map to {@link #UNK}. */
  @Override
  public int id(String token) {
    Integer id = ids.get(token);
    return id == null ? UNK : id;
  }

  @Override
  public String token(int id) {
    return tokens.get(id);
  }

  /** Every token, index = id. */
  @Override
  public List<String> tokens() {
    return tokens;
  }

  @Override
  public Kind kind() {
    return Kind.WORDS;
  }

  /** d2l's words of {@code text}: lower case ({@link Locale#ROOT}), split on white space (spec section 2). */
  @Override
  public List<String> tokenize(CharSequence text) {
    return Paragraphs.tokenize(text.toString());
  }

  @Override
  public int[] encode(CharSequence text) {
    return ids(tokenize(text));
  }

  @Override
  public SpecialIds specials() {
    return SPECIALS;
  }

  /** None: d2l draws its random replacements from the whole vocabulary, reserved tokens included (spec section 5). */
  @Override
  public int[] notRandomReplacements() {
    return new int[0];
  }

  /** Never: each of d2l's words is a word of its own. */
  @Override
  public boolean isContinuation(String token) {
    return false;
  }

  @Override
  public List<String> joinWords(List<String> tokenList) {
    return List.copyOf(tokenList);
  }

  /** Writes {@code vocab.txt} into {@code dir}. */
  @Override
  public void writeFiles(Path dir) {
    save(dir.resolve(dev.jbert.data.wordpiece.TokenizerFiles.VOCAB_TXT));
  }

  public int[] ids(List<String> tokenList) {
    int[] out = new int[tokenList.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = id(tokenList.get(i));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Vocab v && v.tokens.equals(tokens);
  }

  @Override
  public int hashCode() {
    return tokens.hashCode();
  }

  @Override
  public String toString() {
    return "Vocab(" + size() + " tokens: " + String.join(" ", tokens.subList(0, Math.min(12, size()))) + " ...)";
  }
}
