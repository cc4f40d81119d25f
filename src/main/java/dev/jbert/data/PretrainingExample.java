package dev.jbert.data;

import java.util.Arrays;
import java.util.StringJoiner;

/**
 * One sentence pair ready for BERT, padded as spec section 6 says.
 *
 * @param tokenIds {@code <cls> a <sep> b <sep>} with the masked LM's replacements, then {@code <pad>} up to max_len
 * @param segments 0 for {@code <cls> a <sep>}, 1 for {@code b <sep>}, 0 on padding
 * @param validLen the real length ({@code len(a) + len(b) + 3})
 * @param predPositions the masked-LM positions, increasing, then 0 up to max_preds
 * @param mlmWeights 1 on each real prediction slot, 0 on padding
 * @param mlmLabels the original token ids at {@code predPositions}, then 0
 * @param isNext whether b is the sentence after a (d2l's NSP label: 1 = is next)
 */
public record PretrainingExample(
    int[] tokenIds, int[] segments, int validLen, int[] predPositions, float[] mlmWeights, int[] mlmLabels,
    boolean isNext) {

  /** The number of real prediction slots. */
  public int numPreds() {
    int n = 0;
    while (n < mlmWeights.length && mlmWeights[n] > 0) {
      n++;
    }
    return n;
  }

  /** The example in words, one field a line, as Google's {@code TrainingInstance.__str__}. */
  public String toDebugString(Tokenizer vocab) {
    StringJoiner tokens = new StringJoiner(" ");
    for (int i = 0; i < validLen; i++) {
      tokens.add(vocab.token(tokenIds[i]));
    }
    StringJoiner labels = new StringJoiner(" ");
    for (int i = 0; i < numPreds(); i++) {
      labels.add(predPositions[i] + ":" + vocab.token(mlmLabels[i]));
    }
    return "tokens: " + tokens + "\n"
        + "segments: " + Arrays.toString(Arrays.copyOf(segments, validLen)) + "\n"
        + "valid_len: " + validLen + "\n"
        + "masked_lm: " + labels + "\n"
        + "is_next: " + isNext;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PretrainingExample e
        && validLen == e.validLen
        && isNext == e.isNext
        && Arrays.equals(tokenIds, e.tokenIds)
        && Arrays.equals(segments, e.segments)
        && Arrays.equals(predPositions, e.predPositions)
        && Arrays.equals(mlmWeights, e.mlmWeights)
        && Arrays.equals(mlmLabels, e.mlmLabels);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(tokenIds) + Arrays.hashCode(predPositions)) + validLen;
  }

  @Override
  public String toString() {
    return "PretrainingExample[tokenIds=" + Arrays.toString(Arrays.copyOf(tokenIds, validLen))
        + ", segments=" + Arrays.toString(Arrays.copyOf(segments, validLen))
        + ", validLen=" + validLen
        + ", predPositions=" + Arrays.toString(predPositions)
        + ", mlmLabels=" + Arrays.toString(mlmLabels)
        + ", isNext=" + isNext + "]";
  }
}
