package dev.jbert.data;

import dev.jbert.JbertException;
import dev.jbert.data.wordpiece.VocabConfig;

/**
 * Which tokenizer the examples are built with: what {@code --tokenizer}, {@code --vocab} and {@code --vocab-size}
 * say. A run's config.json records it (under {@code data}), so that encode and resume use the run's tokenizer, whose
 * files the run folder holds.
 *
 * @param kind {@code words} (d2l's) or {@code wordpiece} (BERT's)
 * @param vocab the folder or {@code vocab.txt} the WordPiece vocabulary was read from (a {@code jbert vocab} output
 *     or a Hugging Face BERT folder), absolute; null: trained on the training text (or words)
 * @param vocabSize the size of the WordPiece vocabulary trained on the training text; null without training
 */
public record TokenizerConfig(String kind, String vocab, Integer vocabSize) {
  public TokenizerConfig {
    kind = kind == null ? Tokenizer.Kind.WORDS.cliName() : Tokenizer.Kind.parse(kind).cliName();
    if (kindEnum(kind) == Tokenizer.Kind.WORDS && (vocab != null || vocabSize != null)) {
      throw new JbertException((vocab != null ? "--vocab" : "--vocab-size") + " is for a WordPiece vocabulary:"
          + " pass --tokenizer wordpiece with it (d2l's words build their vocabulary from the text)");
    }
    if (vocab != null && vocabSize != null) {
      throw new JbertException("pass --vocab (a vocabulary to use) or --vocab-size (the size of one trained on the"
          + " text), not both");
    }
    if (vocabSize != null) {
      new VocabConfig(vocabSize, true, 2); // checked now, before any text is read
    }
  }

  /** d2l's words. */
  public static TokenizerConfig words() {
    return new TokenizerConfig(Tokenizer.Kind.WORDS.cliName(), null, null);
  }

  /** WordPiece of the vocabulary in {@code vocab}, or trained on the text ({@code vocabSize}, default BERT's). */
  public static TokenizerConfig wordPiece(String vocab, Integer vocabSize) {
    return new TokenizerConfig(Tokenizer.Kind.WORDPIECE.cliName(), vocab,
        vocab == null && vocabSize == null ? Integer.valueOf(VocabConfig.BERT_SIZE) : vocabSize);
  }

  /**
   * What the options say: {@code kind} null is d2l's words; WordPiece reads {@code vocab} (made absolute, so that the
   * record says which folder wherever the run is resumed from) or trains one of {@code vocabSize} (default 30522).
   */
  public static TokenizerConfig of(String kind, java.nio.file.Path vocab, Integer vocabSize) {
    String folder = vocab == null ? null : vocab.toAbsolutePath().normalize().toString();
    if (kind != null && Tokenizer.Kind.parse(kind) == Tokenizer.Kind.WORDPIECE) {
      return wordPiece(folder, vocabSize);
    }
    return new TokenizerConfig(kind, folder, vocabSize);
  }

  /** {@link #kind} as the enum. */
  public Tokenizer.Kind kindEnum() {
    return kindEnum(kind);
  }

  private static Tokenizer.Kind kindEnum(String kind) {
    return Tokenizer.Kind.parse(kind);
  }
}
