package dev.jbert.data.wordpiece;

import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A WordPiece vocabulary: tokens numbered by position, as in BERT's {@code vocab.txt} (one token a line, id = line
 * number from 0). Continuation pieces start with {@code ##}. The special tokens are found by name: a {@code jbert
 * vocab} output has them at 0-4, Google's and Hugging Face's BERT vocabularies at [PAD]=0, [UNK]=100, [CLS]=101,
 * [SEP]=102, [MASK]=103. A token listed twice keeps its last id, as BERT's {@code load_vocab} and Hugging Face's
 * {@code WordPiece::read_file} do.
 */
public final class WordPieceVocab {
  public static final String PAD = "[PAD]";
  public static final String UNK = "[UNK]";
  public static final String CLS = "[CLS]";
  public static final String SEP = "[SEP]";
  public static final String MASK = "[MASK]";
  /** The special tokens in the order of a {@code jbert vocab} output (ids 0-4). */
  public static final List<String> SPECIALS = List.of(PAD, UNK, CLS, SEP, MASK);
  /** The prefix of a piece that continues a word. */
  public static final String CONTINUATION = "##";

  private final List<String> tokens;
  private final Map<String, Integer> ids;
  private final int pad;
  private final int unk;
  private final int cls;
  private final int sep;
  private final int mask;

  private WordPieceVocab(List<String> tokens, String source) {
    this.tokens = List.copyOf(tokens);
    this.ids = new HashMap<>(tokens.size() * 2);
    for (int i = 0; i < tokens.size(); i++) {
      ids.put(tokens.get(i), i);
    }
    List<String> missing = SPECIALS.stream().filter(s -> !ids.containsKey(s)).toList();
    if (!missing.isEmpty()) {
      throw new JbertException("the vocabulary " + source + " lacks " + String.join(" ", missing)
          + ": a BERT vocabulary holds all of " + String.join(" ", SPECIALS) + " (train one with 'jbert vocab')");
    }
    pad = ids.get(PAD);
    unk = ids.get(UNK);
    cls = ids.get(CLS);
    sep = ids.get(SEP);
    mask = ids.get(MASK);
  }

  /** The vocabulary of {@code tokens} (id = index); a {@link JbertException} when a special token is missing. */
  public static WordPieceVocab of(List<String> tokens) {
    return new WordPieceVocab(tokens, "given");
  }

  /** Reads a {@code vocab.txt} (UTF-8, one token a line; a trailing CR is dropped). */
  public static WordPieceVocab load(Path vocabTxt) {
    String text;
    try {
      byte[] bytes = Files.readAllBytes(vocabTxt);
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (NoSuchFileException e) {
      throw new JbertException("no vocabulary at " + vocabTxt + ": pass a 'jbert vocab' output folder or a BERT vocab.txt");
    } catch (CharacterCodingException e) {
      throw new JbertException("the vocabulary " + vocabTxt + " is not UTF-8 text: pass a BERT vocab.txt");
    } catch (IOException | UncheckedIOException e) {
      throw new JbertException("cannot read the vocabulary " + vocabTxt + " (" + e.getMessage() + ")");
    }
    List<String> lines = new ArrayList<>(text.length() / 6);
    int start = 0;
    while (start < text.length()) {
      int nl = text.indexOf('\n', start);
      int end = nl < 0 ? text.length() : nl;
      int stop = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
      lines.add(text.substring(start, stop));
      start = end + 1;
    }
    if (lines.isEmpty()) {
      throw new JbertException("the vocabulary " + vocabTxt + " is empty: pass a BERT vocab.txt");
    }
    return new WordPieceVocab(lines, vocabTxt.toString());
  }

  /** Writes {@code vocab.txt}: one token a line, in id order, atomically. */
  public void write(Path vocabTxt) {
    StringBuilder text = new StringBuilder(tokens.size() * 8);
    for (String token : tokens) {
      text.append(token).append('\n');
    }
    AtomicFiles.writeString(vocabTxt, text.toString());
  }

  public int size() {
    return tokens.size();
  }

  /** The token of {@code id}. */
  public String token(int id) {
    return tokens.get(id);
  }

  /** The id of {@code token}, or -1 when it is not in the vocabulary. */
  public int id(String token) {
    Integer id = ids.get(token);
    return id == null ? -1 : id;
  }

  /** All tokens in id order. */
  public List<String> tokens() {
    return tokens;
  }

  public int padId() {
    return pad;
  }

  public int unkId() {
    return unk;
  }

  public int clsId() {
    return cls;
  }

  public int sepId() {
    return sep;
  }

  public int maskId() {
    return mask;
  }

  /** Each distinct token with the id that lookups give it (the last line of a token listed twice). */
  Map<String, Integer> idsByToken() {
    return ids;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WordPieceVocab v && tokens.equals(v.tokens);
  }

  @Override
  public int hashCode() {
    return tokens.hashCode();
  }

  @Override
  public String toString() {
    return "WordPieceVocab(" + tokens.size() + " tokens)";
  }
}
