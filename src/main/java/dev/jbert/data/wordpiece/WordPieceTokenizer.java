package dev.jbert.data.wordpiece;

import dev.jbert.data.SpecialIds;
import dev.jbert.data.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * BERT's WordPiece tokenizer, giving exactly the ids of Hugging Face's {@code BertWordPiece} tokenizer (a
 * {@code tokenizer.json} with BertNormalizer, BertPreTokenizer and a WordPiece model) for the same vocabulary:
 *
 * <ol>
 *   <li>the special tokens ({@code [PAD] [UNK] [CLS] [SEP] [MASK]}) are found in the raw text first, case-sensitive,
 *       leftmost-longest, and become their ids (Hugging Face's added tokens, {@code normalized: false});
 *   <li>the text between them goes through {@link BasicTokenizer};
 *   <li>each word becomes its greedy longest-match-first pieces, continuation pieces prefixed {@code ##}; a word of
 *       more than 100 code points, or one that cannot be split into vocabulary pieces, becomes {@code [UNK]}.
 * </ol>
 *
 * <p>No {@code [CLS]}/{@code [SEP]} are added. Candidate pieces are looked up by char range and hash, never built as
 * Strings. Instances are immutable and thread-safe.
 */
public final class WordPieceTokenizer implements Tokenizer {
  /** Hugging Face's and Google's {@code max_input_chars_per_word}. */
  public static final int MAX_INPUT_CHARS_PER_WORD = 100;

  private final WordPieceVocab vocab;
  private final BasicTokenizer basic;
  /** Every token by its whole string: a word's first piece. */
  private final TokenIndex starts;
  /** The tokens that start with ##, by the rest: a word's later pieces. */
  private final TokenIndex continuations;
  /** The special tokens, longest first, and their ids. */
  private final String[] specials;
  private final int[] specialTokenIds;
  private final int unk;
  private final SpecialIds specialIds;

  /** A tokenizer of {@code vocab}: uncased (lower-case, strip accents) when {@code lowercase}, else cased. */
  public WordPieceTokenizer(WordPieceVocab vocab, boolean lowercase) {
    this(vocab, new BasicTokenizer(lowercase));
  }

  /** A tokenizer of {@code vocab} after the given basic tokenization. */
  public WordPieceTokenizer(WordPieceVocab vocab, BasicTokenizer basic) {
    this.vocab = vocab;
    this.basic = basic;
    this.unk = vocab.unkId();
    starts = new TokenIndex(vocab.size());
    continuations = new TokenIndex(vocab.size());
    for (var e : vocab.idsByToken().entrySet()) {
      String token = e.getKey();
      starts.put(token, e.getValue());
      if (token.startsWith(WordPieceVocab.CONTINUATION)) {
        continuations.put(token.substring(WordPieceVocab.CONTINUATION.length()), e.getValue());
      }
    }
    specials = WordPieceVocab.SPECIALS.stream()
        .sorted(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()))
        .toArray(String[]::new);
    specialTokenIds = Arrays.stream(specials).mapToInt(vocab::id).toArray();
    this.specialIds = new SpecialIds(vocab.padId(), vocab.unkId(), vocab.clsId(), vocab.sepId(), vocab.maskId());
  }

  @Override
  public Kind kind() {
    return Kind.WORDPIECE;
  }

  /** The id of {@code token}; {@code [UNK]}'s when it is not in the vocabulary. */
  @Override
  public int id(String token) {
    int id = vocab.id(token);
    return id < 0 ? unk : id;
  }

  @Override
  public String token(int id) {
    return vocab.token(id);
  }

  @Override
  public int size() {
    return vocab.size();
  }

  @Override
  public List<String> tokens() {
    return vocab.tokens();
  }

  /** Found by name: {@code [PAD] [UNK] [CLS] [SEP] [MASK]} wherever the vocabulary has them. */
  @Override
  public SpecialIds specials() {
    return specialIds;
  }

  /** The special tokens: a random replacement is an ordinary piece. */
  @Override
  public int[] notRandomReplacements() {
    return specialIds.sorted();
  }

  @Override
  public boolean isContinuation(String token) {
    return token.startsWith(WordPieceVocab.CONTINUATION);
  }

  @Override
  public List<String> joinWords(List<String> tokens) {
    return words(tokens);
  }

  /** Writes {@code vocab.txt}, {@code tokenizer.json} and {@code tokenizer_config.json} ({@link TokenizerFiles}). */
  @Override
  public void writeFiles(Path dir) {
    TokenizerFiles.write(dir, this);
  }

  public WordPieceVocab vocab() {
    return vocab;
  }

  /** Whether the text is lower-cased and stripped of accents (an uncased vocabulary). */
  public boolean lowercase() {
    return basic.lowercase();
  }

  /** The basic tokenization (normalization and pre-tokenization) in front of WordPiece. */
  public BasicTokenizer basic() {
    return basic;
  }

  /** The ids of {@code text}, without {@code [CLS]} and {@code [SEP]}. */
  @Override
  public int[] encode(CharSequence text) {
    Ids out = new Ids(text.length() / 4 + 4);
    encode(text, out);
    return out.toArray();
  }

  /** The pieces of {@code text} ({@code [UNK]} for a word that has none). */
  @Override
  public List<String> tokenize(CharSequence text) {
    int[] ids = encode(text);
    List<String> pieces = new ArrayList<>(ids.length);
    for (int id : ids) {
      pieces.add(vocab.token(id));
    }
    return pieces;
  }

  /** The pieces of {@code ids} joined into words, separated by spaces: "play ##ing" gives "playing". */
  public String decode(int[] ids) {
    List<String> pieces = new ArrayList<>(ids.length);
    for (int id : ids) {
      pieces.add(vocab.token(id));
    }
    return String.join(" ", words(pieces));
  }

  /**
   * Joins continuation pieces onto the piece before them: ["play", "##ing", "now"] gives ["playing", "now"]. A
   * continuation piece with nothing before it stays as it is, as in Hugging Face's WordPiece decoder.
   */
  public static List<String> words(List<String> pieces) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    for (String piece : pieces) {
      if (word != null && piece.startsWith(WordPieceVocab.CONTINUATION)) {
        word.append(piece, WordPieceVocab.CONTINUATION.length(), piece.length());
      } else {
        if (word != null) {
          words.add(word.toString());
        }
        word = new StringBuilder(piece);
      }
    }
    if (word != null) {
      words.add(word.toString());
    }
    return words;
  }

  /** Appends the ids of {@code text} to {@code out}. */
  void encode(CharSequence text, Ids out) {
    String str = text.toString();
    int n = str.length();
    char[] chars = new char[n];
    str.getChars(0, n, chars, 0); // one bulk copy: the loops then read an array
    WordEncoder words = new WordEncoder(out);
    int segment = 0;
    // every special token starts with '['; String.indexOf is vectorized
    for (int i = str.indexOf('['); i >= 0; i = str.indexOf('[', i + 1)) {
      for (int s = 0; s < specials.length; s++) {
        String special = specials[s];
        if (str.startsWith(special, i)) {
          basic.forEachWord(chars, segment, i, words);
          out.add(specialTokenIds[s]);
          i += special.length() - 1;
          segment = i + 1;
          break;
        }
      }
    }
    basic.forEachWord(chars, segment, n, words);
  }

  /** Greedy longest-match-first WordPiece over each word, as Hugging Face's {@code WordPiece::tokenize}. */
  private final class WordEncoder implements BasicTokenizer.WordSink {
    private final Ids out;
    /** hashes[k]: the String hash code of the candidate of k chars from the current start. */
    private int[] hashes = new int[64];

    WordEncoder(Ids out) {
      this.out = out;
    }

    @Override
    public void word(char[] w, int from, int to, int codePoints) {
      if (codePoints > MAX_INPUT_CHARS_PER_WORD) {
        out.add(unk);
        return;
      }
      int mark = out.size();
      int start = from;
      while (start < to) {
        TokenIndex index = start == from ? starts : continuations;
        int limit = Math.min(to, start + index.maxLength());
        if (limit < to && limit > start && Character.isLowSurrogate(w[limit]) && Character.isHighSurrogate(w[limit - 1])) {
          limit--; // never end a candidate inside a surrogate pair
        }
        if (hashes.length <= limit - start) {
          hashes = new int[Math.max(limit - start + 1, hashes.length * 2)];
        }
        int h = 0;
        for (int k = start; k < limit; k++) {
          h = 31 * h + w[k];
          hashes[k - start + 1] = h;
        }
        int end = limit;
        int id = -1;
        while (end > start) {
          id = index.get(w, start, end, hashes[end - start]);
          if (id >= 0) {
            break;
          }
          // one code point shorter, as Rust steps back by the last char
          end -= end - 2 >= start && Character.isLowSurrogate(w[end - 1]) && Character.isHighSurrogate(w[end - 2]) ? 2 : 1;
        }
        if (id < 0) {
          out.truncate(mark);
          out.add(unk);
          return;
        }
        out.add(id);
        start = end;
      }
    }
  }

  /** A growable array of ids. */
  static final class Ids {
    private int[] ids;
    private int size;

    Ids(int capacity) {
      ids = new int[Math.max(4, capacity)];
    }

    void add(int id) {
      if (size == ids.length) {
        ids = Arrays.copyOf(ids, size * 2);
      }
      ids[size++] = id;
    }

    int size() {
      return size;
    }

    void truncate(int newSize) {
      size = newSize;
    }

    int[] toArray() {
      return Arrays.copyOf(ids, size);
    }
  }
}
