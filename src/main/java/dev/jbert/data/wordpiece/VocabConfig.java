package dev.jbert.data.wordpiece;

import dev.jbert.JbertException;

/**
 * How {@code jbert vocab} trains a WordPiece vocabulary.
 *
 * @param size the number of tokens wanted, special tokens included (BERT's: 30522)
 * @param lowercase uncased: lower-case and strip accents before counting (BERT-base-uncased); false keeps the text
 * @param minFrequency a pair of pieces must occur this many times to be merged (Hugging Face's BertWordPiece: 2)
 */
public record VocabConfig(int size, boolean lowercase, int minFrequency) {
  /** BERT's vocabulary size. */
  public static final int BERT_SIZE = 30522;

  public VocabConfig {
    if (size < WordPieceVocab.SPECIALS.size()) {
      throw new JbertException("vocabulary size must be at least " + WordPieceVocab.SPECIALS.size()
          + " (the special tokens), got " + size + ": pass --size " + BERT_SIZE + " for BERT's");
    }
    if (minFrequency < 1) {
      throw new JbertException("min_frequency must be at least 1, got " + minFrequency);
    }
  }

  /** An uncased vocabulary of {@code size} tokens, pairs merged from 2 occurrences on. */
  public static VocabConfig uncased(int size) {
    return new VocabConfig(size, true, 2);
  }

  /** A cased vocabulary of {@code size} tokens, pairs merged from 2 occurrences on. */
  public static VocabConfig cased(int size) {
    return new VocabConfig(size, false, 2);
  }
}
