package dev.jbert.data.wordpiece;

import dev.jbert.JbertException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeSet;

/**
 * Trains a WordPiece vocabulary the way Hugging Face's {@code WordPieceTrainer} (BertWordPieceTokenizer.train) does:
 * BPE merges over the word counts with the {@code ##} continuation prefix.
 *
 * <ol>
 *   <li>{@link #add} counts the words of the text after BERT's basic tokenization ({@link BasicTokenizer});
 *   <li>the vocabulary starts with {@code [PAD] [UNK] [CLS] [SEP] [MASK]} (ids 0-4), then every character seen, by
 *       code point, then {@code ##c} for every character seen inside a word, by code point;
 *   <li>each word is split into characters, {@code w ##o ##r ##d}; then, until the vocabulary has the size asked
 *       for, the most frequent adjacent pair (occurrences weighted by word count; ties: the pair of smaller ids) is
 *       merged everywhere into one piece ({@code ##o} + {@code ##r} = {@code ##or}, {@code w} + {@code ##or} =
 *       {@code wor}) and the piece appended to the vocabulary, if new.
 * </ol>
 *
 * <p>Training stops early, with a smaller vocabulary, when no pair occurs {@code minFrequency} times. The result
 * depends on the word counts only (not on the order of the text), so it is deterministic. Unlike Hugging Face, all
 * characters are kept (no {@code limit_alphabet}), and the ## alphabet is sorted rather than in hash order.
 */
public final class WordPieceTrainer {
  private final VocabConfig config;
  private final BasicTokenizer basic;
  private final WordTable counts = new WordTable();
  private long words;

  public WordPieceTrainer(VocabConfig config) {
    this.config = config;
    this.basic = new BasicTokenizer(config.lowercase());
  }

  /** Counts the words of {@code text} (a line, a paragraph, a document). */
  public void add(CharSequence text) {
    basic.forEachWord(text, 0, text.length(), (chars, from, to, codePoints) -> {
      counts.add(chars, from, to);
      words++;
    });
  }

  /** Words counted so far. */
  public long words() {
    return words;
  }

  /** Distinct words counted so far. */
  public int distinctWords() {
    return counts.size();
  }

  /**
   * Merges pairs until the vocabulary has {@code config.size()} tokens or no pair is frequent enough. A
   * {@link JbertException} when no word was counted, or when the size cannot hold the special tokens and the alphabet.
   */
  public TrainedVocab train() {
    int n = counts.size();
    if (n == 0) {
      throw new JbertException("the corpus has no words (empty, or only white space and control characters):"
          + " pass text files with some content");
    }
    // the alphabet: every code point, and every code point seen after a word's first
    TreeSet<Integer> alphabet = new TreeSet<>();
    TreeSet<Integer> inner = new TreeSet<>();
    int[][] symbols = new int[n][];
    for (int w = 0; w < n; w++) {
      int[] cps = counts.word(w).codePoints().toArray();
      symbols[w] = cps;
      for (int k = 0; k < cps.length; k++) {
        alphabet.add(cps[k]);
        if (k > 0) {
          inner.add(cps[k]);
        }
      }
    }
    int minimum = WordPieceVocab.SPECIALS.size() + alphabet.size() + inner.size();
    if (config.size() < minimum) {
      throw new JbertException("vocabulary size " + config.size() + " is smaller than the "
          + WordPieceVocab.SPECIALS.size() + " special tokens plus the corpus's alphabet (" + alphabet.size()
          + " characters, " + inner.size() + " of them also as ## pieces): pass --size " + minimum + " or more");
    }
    List<String> tokens = new ArrayList<>(config.size());
    Map<String, Integer> ids = new HashMap<>(config.size() * 2);
    for (String special : WordPieceVocab.SPECIALS) {
      addToken(special, tokens, ids);
    }
    int[] startId = new int[alphabet.last() + 1];
    int[] innerId = new int[alphabet.last() + 1];
    for (int cp : alphabet) {
      startId[cp] = addToken(Character.toString(cp), tokens, ids);
    }
    for (int cp : inner) {
      innerId[cp] = addToken(WordPieceVocab.CONTINUATION + Character.toString(cp), tokens, ids);
    }
    for (int[] word : symbols) {
      word[0] = startId[word[0]];
      for (int k = 1; k < word.length; k++) {
        word[k] = innerId[word[k]];
      }
    }
    int alphabetTokens = tokens.size();
    int merges = new Merger(symbols, counts.counts(), tokens, ids).run(config.size(), config.minFrequency());
    return new TrainedVocab(WordPieceVocab.of(tokens), config.lowercase(), config.size(), alphabet.size(),
        inner.size(), merges, words, n);
  }

  private static int addToken(String token, List<String> tokens, Map<String, Integer> ids) {
    Integer id = ids.get(token);
    if (id != null) {
      return id;
    }
    ids.put(token, tokens.size());
    tokens.add(token);
    return tokens.size() - 1;
  }

  /** A pair of adjacent symbols: its weighted count and the words it may occur in (some stale, some twice). */
  private static final class Pair {
    final int a;
    final int b;
    long count;
    /** The last merge that collected this pair as grown (so it is collected once a merge). */
    int grownStamp;
    int[] words = new int[4];
    int nWords;

    Pair(int a, int b) {
      this.a = a;
      this.b = b;
    }

    void addWord(int w) {
      if (nWords > 0 && words[nWords - 1] == w) {
        return;
      }
      if (nWords == words.length) {
        words = Arrays.copyOf(words, nWords * 2);
      }
      words[nWords++] = w;
    }
  }

  /** A heap entry; stale when the pair's count has changed since (checked when it comes out). */
  private record Candidate(long count, int a, int b) {}

  /** BPE over the words: the pair counts, the pairs' words and a heap of candidates. */
  private static final class Merger {
    private final int[][] words;
    private final int[] lengths;
    private final long[] wordCounts;
    private final List<String> tokens;
    private final Map<String, Integer> ids;
    private final Map<Long, Pair> pairs = new HashMap<>();
    private final PriorityQueue<Candidate> heap = new PriorityQueue<>((x, y) -> x.count != y.count
        ? Long.compare(y.count, x.count)
        : x.a != y.a ? Integer.compare(x.a, y.a) : Integer.compare(x.b, y.b));
    /** The last merge that processed each word, so that a word listed twice is merged once. */
    private final int[] seen;

    Merger(int[][] words, long[] wordCounts, List<String> tokens, Map<String, Integer> ids) {
      this.words = words;
      this.wordCounts = wordCounts;
      this.tokens = tokens;
      this.ids = ids;
      this.lengths = new int[words.length];
      this.seen = new int[words.length];
      for (int w = 0; w < words.length; w++) {
        int[] s = words[w];
        lengths[w] = s.length;
        for (int k = 0; k + 1 < s.length; k++) {
          Pair p = pair(s[k], s[k + 1]);
          p.count += wordCounts[w];
          p.addWord(w);
        }
      }
      for (Pair p : pairs.values()) {
        heap.add(new Candidate(p.count, p.a, p.b));
      }
    }

    /**
     * The map key of a pair: (a, b) in one long, times an odd constant (a bijection), so that {@link Long#hashCode}
     * (high xor low half) spreads; plain {@code a << 32 | b} gives a ^ b, and HashMap's bins fill up.
     */
    private static long key(int a, int b) {
      return (((long) a << 32) | (b & 0xFFFFFFFFL)) * 0x9E3779B97F4A7C15L;
    }

    private Pair pair(int a, int b) {
      return pairs.computeIfAbsent(key(a, b), k -> new Pair(a, b));
    }

    /** Merges until {@code size} tokens or no pair of {@code minFrequency}; returns the merges done. */
    int run(int size, int minFrequency) {
      int merges = 0;
      List<Pair> grown = new ArrayList<>();
      while (tokens.size() < size && !heap.isEmpty()) {
        Candidate top = heap.poll();
        Pair p = pairs.get(key(top.a, top.b));
        if (p == null || p.count != top.count) {
          if (p != null && p.count > 0) {
            heap.add(new Candidate(p.count, p.a, p.b)); // counts only fall, except for pairs pushed below
          }
          continue;
        }
        if (p.count < minFrequency) {
          break;
        }
        String a = tokens.get(p.a);
        String b = tokens.get(p.b);
        String merged = a + (b.startsWith(WordPieceVocab.CONTINUATION)
            ? b.substring(WordPieceVocab.CONTINUATION.length()) : b);
        Integer existing = ids.get(merged);
        int t;
        if (existing != null) {
          t = existing;
        } else {
          t = tokens.size();
          tokens.add(merged);
          ids.put(merged, t);
        }
        merges++;
        grown.clear();
        int stamp = merges;
        int[] affected = Arrays.copyOf(p.words, p.nWords);
        for (int w : affected) {
          if (seen[w] != stamp) {
            seen[w] = stamp;
            mergeWord(w, p.a, p.b, t, stamp, grown);
          }
        }
        pairs.remove(key(p.a, p.b));
        for (Pair g : grown) {
          if (g.count > 0) {
            heap.add(new Candidate(g.count, g.a, g.b));
          }
        }
      }
      return merges;
    }

    /** Replaces each (a, b) of word w by t, left to right; updates the pair counts; collects pairs with t. */
    private void mergeWord(int w, int a, int b, int t, int stamp, List<Pair> grown) {
      int[] s = words[w];
      int len = lengths[w];
      boolean found = false;
      for (int k = 0; k + 1 < len; k++) {
        if (s[k] == a && s[k + 1] == b) {
          found = true;
          break;
        }
      }
      if (!found) {
        return;
      }
      long c = wordCounts[w];
      for (int k = 0; k + 1 < len; k++) {
        pairs.get(key(s[k], s[k + 1])).count -= c;
      }
      int out = 0;
      for (int k = 0; k < len; k++) {
        if (k + 1 < len && s[k] == a && s[k + 1] == b) {
          s[out++] = t;
          k++;
        } else {
          s[out++] = s[k];
        }
      }
      lengths[w] = out;
      for (int k = 0; k + 1 < out; k++) {
        Pair q = pair(s[k], s[k + 1]);
        q.count += c;
        if (s[k] == t || s[k + 1] == t) {
          q.addWord(w);
          if (q.grownStamp != stamp) {
            q.grownStamp = stamp;
            grown.add(q);
          }
        }
      }
    }
  }

  /** Distinct words by char range (open addressing) with their counts, in order of first occurrence. */
  private static final class WordTable {
    private char[][] keys = new char[1 << 12][];
    private int[] slotIds = new int[1 << 12];
    private char[][] words = new char[1 << 11][];
    private long[] counts = new long[1 << 11];
    private int size;

    void add(char[] chars, int from, int to) {
      int h = 0;
      for (int i = from; i < to; i++) {
        h = 31 * h + chars[i];
      }
      int mask = keys.length - 1;
      int len = to - from;
      for (int slot = spread(h) & mask; ; slot = (slot + 1) & mask) {
        char[] key = keys[slot];
        if (key == null) {
          insert(slot, Arrays.copyOfRange(chars, from, to));
          return;
        }
        if (key.length == len && Arrays.equals(key, 0, len, chars, from, to)) {
          counts[slotIds[slot]]++;
          return;
        }
      }
    }

    private static int spread(int h) {
      int x = h * 0x9E3779B9;
      return x ^ (x >>> 16);
    }

    private void insert(int slot, char[] key) {
      if (size == words.length) {
        words = Arrays.copyOf(words, size * 2);
        counts = Arrays.copyOf(counts, size * 2);
      }
      keys[slot] = key;
      slotIds[slot] = size;
      words[size] = key;
      counts[size] = 1;
      size++;
      if (size * 2 > keys.length) {
        rehash();
      }
    }

    private void rehash() {
      keys = new char[keys.length * 2][];
      slotIds = new int[keys.length];
      int mask = keys.length - 1;
      for (int id = 0; id < size; id++) {
        char[] key = words[id];
        int h = 0;
        for (char ch : key) {
          h = 31 * h + ch;
        }
        int slot = spread(h) & mask;
        while (keys[slot] != null) {
          slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        slotIds[slot] = id;
      }
    }

    int size() {
      return size;
    }

    String word(int id) {
      return new String(words[id]);
    }

    long[] counts() {
      return Arrays.copyOf(counts, size);
    }
  }
}
