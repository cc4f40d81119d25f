package dev.jbert.data;

import dev.jbert.data.wordpiece.TokenizerFiles;
import java.nio.file.Path;
import java.util.List;

/**
 * Text to the ids the model sees, and back: d2l's words ({@link Vocab}: lower case, split on white space) or BERT's
 * WordPiece ({@link dev.jbert.data.wordpiece.WordPieceTokenizer}). Example building, masking and encoding read the
 * special tokens from {@link #specials()}, since the two vocabularies keep them at different ids.
 */
public interface Tokenizer {
  /** The tokenizers {@code --tokenizer} names. */
  enum Kind {
    /** d2l's: lower case, split on white space, a vocabulary of the words seen 5 times or more. */
    WORDS,
    /** BERT's: basic tokenization, then greedy longest-match ## pieces of a WordPiece vocabulary. */
    WORDPIECE;

    public String cliName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Kind parse(String name) {
      for (Kind k : values()) {
        if (k.cliName().equals(name)) {
          return k;
        }
      }
      throw new dev.jbert.JbertException("unknown --tokenizer '" + name + "'; use words (d2l's) or wordpiece (BERT's)");
    }
  }

  Kind kind();

  /** The tokens (words or pieces) of {@code text}, as the model sees them. */
  List<String> tokenize(CharSequence text);

  /** The ids of {@link #tokenize}. */
  int[] encode(CharSequence text);

  /** The id of {@code token}; a token outside the vocabulary gives {@code specials().unk()}. */
  int id(String token);

  String token(int id);

  int size();

  /** Every token, index = id. */
  List<String> tokens();

  SpecialIds specials();

  /**
   * The ids a masked-LM random replacement is never drawn from, ascending. d2l draws from the whole vocabulary, its
   * reserved tokens included (spec section 5), and keeps doing so, for exactness; a WordPiece vocabulary leaves its
   * special tokens out, so that a replacement never puts a {@code [SEP]}, {@code [CLS]} or {@code [PAD]} inside a
   * sentence.
   */
  int[] notRandomReplacements();

  /** Whether {@code token} continues the word of the token before it (a WordPiece {@code ##} piece). */
  boolean isContinuation(String token);

  /** Tokens joined into words: continuation pieces glued to the piece before them ("play ##ing" gives "playing"). */
  List<String> joinWords(List<String> tokens);

  /** Writes the tokenizer's files into {@code dir}: {@code vocab.txt}, and for WordPiece Hugging Face's files. */
  void writeFiles(Path dir);

  /**
   * The kind of the tokenizer files in {@code dir} when nothing else names it (a Hugging Face folder): WordPiece when
   * they hold BERT's {@code [UNK]} (any Hugging Face BERT, or a jbert WordPiece run exported), d2l's words otherwise (a
   * d2l-words run exported).
   */
  static Kind kindOfFiles(Path dir) {
    return TokenizerFiles.holdsWordPiece(dir) ? Kind.WORDPIECE : Kind.WORDS;
  }

  /** The tokenizer that {@link #writeFiles} wrote into {@code dir}. */
  static Tokenizer read(Path dir, Kind kind) {
    return kind == Kind.WORDS ? Vocab.load(dir.resolve(TokenizerFiles.VOCAB_TXT)) : TokenizerFiles.load(dir);
  }
}
