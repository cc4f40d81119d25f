package dev.jbert.data;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Spec section 5: the masked-LM targets of one sentence pair (d2l's {@code _get_mlm_data_from_tokens}), with the
 * options of {@link MaskConfig}: another rate, another split and whole-word masking (Google's
 * {@code create_masked_lm_predictions} with {@code do_whole_word_mask}).
 */
public final class MaskedLm {
  /** What a chosen position became. */
  public enum Action { MASK, KEEP, RANDOM }

  private final MaskConfig config;
  private final int vocabSize;
  private final boolean[] continuation; // per token id: starts with ##; null unless whole-word masking
  private final SpecialIds specials;
  private final int[] notDrawn; // ascending: ids a random replacement never is

  /** Masks drawn by {@code config} over a d2l vocabulary of these tokens (id = index, the reserved ids of spec 3). */
  public MaskedLm(MaskConfig config, List<String> vocabTokens) {
    this(config, vocabTokens, Vocab.SPECIALS, new int[0]);
  }

  /** Masks drawn by {@code config} over the vocabulary of {@code tokenizer}, with its special ids. */
  public MaskedLm(MaskConfig config, Tokenizer tokenizer) {
    this(config, tokenizer.tokens(), tokenizer.specials(), tokenizer.notRandomReplacements());
  }

  private MaskedLm(MaskConfig config, List<String> vocabTokens, SpecialIds specials, int[] notDrawn) {
    this.config = config;
    this.vocabSize = vocabTokens.size();
    this.specials = specials;
    this.notDrawn = notDrawn.clone();
    if (config.wholeWord()) {
      continuation = new boolean[vocabSize];
      for (int id = 0; id < vocabSize; id++) {
        continuation[id] = vocabTokens.get(id).startsWith(MaskConfig.CONTINUATION);
      }
    } else {
      continuation = null;
    }
  }

  /**
   * Chooses the predicted positions of {@code tokens[0..length)} and replaces them in place. The candidates are the
   * words of the positions that are not {@code <cls>}/{@code <sep>} (each token a word of its own, unless whole-word
   * masking joins a {@code ##} token to the word before it in the same segment); they are taken in a uniform random
   * order until {@link MaskConfig#predictions} tokens are chosen, a word that would overshoot skipped as Google does.
   * Each chosen token becomes {@code <mask>}, stays, or becomes a uniform random id of the vocabulary (the whole of
   * d2l's; a WordPiece vocabulary's without its special tokens, see {@link Tokenizer#notRandomReplacements}).
   *
   * <p>The draws are d2l's in d2l's order (the whole order first, then one or two numbers per token), so a
   * vocabulary without {@code ##} tokens gives the same masks with and without whole-word masking.
   *
   * @param actions counts of each {@link Action} taken, indexed by ordinal, incremented here
   * @return the chosen positions, increasing; the labels are the original {@code tokens} at them
   */
  public int[] maskInPlace(int[] tokens, int length, SplittableRandom rng, long[] actions) {
    int[] wordStart = new int[length];
    int[] wordLen = new int[length];
    int n = 0;
    for (int i = 0; i < length; i++) {
      int t = tokens[i];
      if (t == specials.cls() || t == specials.sep()) {
        continue;
      }
      boolean joins = continuation != null && continuation[t] && n > 0 && wordStart[n - 1] + wordLen[n - 1] == i;
      if (joins) {
        wordLen[n - 1]++;
      } else {
        wordStart[n] = i;
        wordLen[n] = 1;
        n++;
      }
    }
    int k = config.predictions(length);
    int[] words = new int[n];
    for (int w = 0; w < n; w++) {
      words[w] = w;
    }
    int[] chosen = new int[Math.min(k, length)];
    int c = 0;
    // A partial Fisher-Yates shuffle: its first entries are distributed as the first of a full shuffle.
    for (int i = 0; i < n && c < k; i++) {
      int j = i + rng.nextInt(n - i);
      int w = words[j];
      words[j] = words[i];
      words[i] = w;
      if (c + wordLen[w] <= k) {
        for (int p = wordStart[w]; p < wordStart[w] + wordLen[w]; p++) {
          chosen[c++] = p;
        }
      }
    }
    int[] positions = Arrays.copyOf(chosen, c);
    double keepGivenNotMasked = config.keepGivenNotMasked();
    for (int position : positions) {
      Action action = rng.nextDouble() < config.mask() ? Action.MASK
          : rng.nextDouble() < keepGivenNotMasked ? Action.KEEP : Action.RANDOM;
      actions[action.ordinal()]++;
      switch (action) {
        case MASK -> tokens[position] = specials.mask();
        case KEEP -> { }
        case RANDOM -> tokens[position] = randomToken(rng);
      }
    }
    Arrays.sort(positions);
    return positions;
  }

  /** The special ids the masks are drawn with (and the pairs packed with). */
  SpecialIds specials() {
    return specials;
  }

  /**
   * A uniform draw over the ids not in {@code notDrawn}: the r-th of them, found by stepping over each excluded id at
   * or below it. With nothing excluded (d2l) it is {@code rng.nextInt(vocabSize)}, the draw of spec section 5.
   */
  private int randomToken(SplittableRandom rng) {
    int id = rng.nextInt(vocabSize - notDrawn.length);
    for (int excluded : notDrawn) {
      if (id >= excluded) {
        id++;
      }
    }
    return id;
  }
}
