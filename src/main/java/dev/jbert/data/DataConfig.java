package dev.jbert.data;

import dev.jbert.JbertException;

/**
 * How the pretraining examples are built (spec sections 3-6).
 *
 * @param maxLen longest token sequence {@code <cls> a <sep> b <sep>}; longer pairs are dropped (d2l: 64)
 * @param minFreq a token needs this many occurrences to enter the vocabulary (d2l: 5)
 * @param seed every random draw of the build (paragraph shuffle, NSP pairs, masks) derives from it
 * @param dynamicMasking draw new masked-LM targets for every epoch after the first (RoBERTa's dynamic masking, spec
 *     section 5); false (d2l) keeps the masks drawn when the examples were built
 * @param masking the masked-LM rate, split and whole-word option; absent (a config.json written before it existed)
 *     means d2l's
 * @param tokenizer d2l's words or WordPiece; absent (a config.json written before it existed) means d2l's words
 */
public record DataConfig(int maxLen, int minFreq, long seed, boolean dynamicMasking, MaskConfig masking,
    TokenizerConfig tokenizer) {
  public DataConfig {
    if (maxLen < 5) {
      throw new JbertException("max_len must be at least 5 (room for <cls> a <sep> b <sep>), got " + maxLen
          + ": pass --max-len 5 or more (d2l uses 64)");
    }
    if (minFreq < 1) {
      throw new JbertException("min_freq must be at least 1, got " + minFreq);
    }
    masking = masking == null ? MaskConfig.d2l() : masking;
    tokenizer = tokenizer == null ? TokenizerConfig.words() : tokenizer;
  }

  /** d2l's words. */
  public DataConfig(int maxLen, int minFreq, long seed, boolean dynamicMasking, MaskConfig masking) {
    this(maxLen, minFreq, seed, dynamicMasking, masking, TokenizerConfig.words());
  }

  /** d2l's masks, drawn once or every epoch. */
  public DataConfig(int maxLen, int minFreq, long seed, boolean dynamicMasking) {
    this(maxLen, minFreq, seed, dynamicMasking, MaskConfig.d2l());
  }

  /** Static masks, as d2l. */
  public DataConfig(int maxLen, int minFreq, long seed) {
    this(maxLen, minFreq, seed, false);
  }

  /** d2l's settings: max_len 64, min_freq 5, seed 0. */
  public static DataConfig defaults() {
    return new DataConfig(64, 5, 0);
  }

  /** The same settings with another max_len. */
  public DataConfig withMaxLen(int newMaxLen) {
    return new DataConfig(newMaxLen, minFreq, seed, dynamicMasking, masking, tokenizer);
  }

  /** The same settings with another seed. */
  public DataConfig withSeed(long newSeed) {
    return new DataConfig(maxLen, minFreq, newSeed, dynamicMasking, masking, tokenizer);
  }

  /** The same settings with other masked-LM rules. */
  public DataConfig withMasking(MaskConfig newMasking) {
    return new DataConfig(maxLen, minFreq, seed, dynamicMasking, newMasking, tokenizer);
  }

  /** The same settings with another tokenizer. */
  public DataConfig withTokenizer(TokenizerConfig newTokenizer) {
    return new DataConfig(maxLen, minFreq, seed, dynamicMasking, masking, newTokenizer);
  }

  /** Padded length of the prediction arrays: the predictions of a pair of max_len tokens (10 for 64 at 0.15). */
  public int maxPreds() {
    return masking.predictions(maxLen);
  }
}
