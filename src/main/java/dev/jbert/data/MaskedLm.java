package dev.jbert.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Spec section 5: the masked-LM targets of one sentence pair (d2l's {@code _get_mlm_data_from_tokens}). */
public final class MaskedLm {
  /** What a chosen position became. */
  public enum Action { MASK, KEEP, RANDOM }

  private MaskedLm() {}

  /** {@code max(1, round_half_even(length * 0.15))}: Python's {@code round}, so length 30 gives 4, not 5. */
  public static int numPredictions(int length) {
    return Math.max(1, (int) Math.rint(length * DataConfig.MLM_FRACTION));
  }

  /**
   * Chooses the predicted positions of {@code tokens[0..length)} and replaces them in place: a uniform random order of
   * the positions that are not {@code <cls>}/{@code <sep>}, taken until {@link #numPredictions} are chosen; each becomes
   * {@code <mask>} (80%), stays (10%) or becomes a uniform random id of the whole vocabulary (10%).
   *
   * @param actions counts of each {@link Action} taken, indexed by ordinal, incremented here
   * @return the chosen positions, increasing; the labels are the original {@code tokens} at them
   */
  public static int[] maskInPlace(int[] tokens, int length, int vocabSize, SplittableRandom rng, long[] actions) {
    int[] candidates = new int[length];
    int n = 0;
    for (int i = 0; i < length; i++) {
      if (tokens[i] != Vocab.CLS && tokens[i] != Vocab.SEP) {
        candidates[n++] = i;
      }
    }
    int k = Math.min(numPredictions(length), n);
    // A partial Fisher-Yates shuffle: its first k entries are distributed as the first k of a full shuffle.
    for (int i = 0; i < k; i++) {
      int j = i + rng.nextInt(n - i);
      int t = candidates[i];
      candidates[i] = candidates[j];
      candidates[j] = t;
    }
    int[] positions = Arrays.copyOf(candidates, k);
    for (int position : positions) {
      Action action = rng.nextDouble() < 0.8 ? Action.MASK : rng.nextDouble() < 0.5 ? Action.KEEP : Action.RANDOM;
      actions[action.ordinal()]++;
      switch (action) {
        case MASK -> tokens[position] = Vocab.MASK;
        case KEEP -> { }
        case RANDOM -> tokens[position] = rng.nextInt(vocabSize);
      }
    }
    Arrays.sort(positions);
    return positions;
  }
}
