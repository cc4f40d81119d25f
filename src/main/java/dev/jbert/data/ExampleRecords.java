package dev.jbert.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The examples as fixed-size int32 records, on the heap or in a mapped cache file ({@link ExampleCache}), so that
 * example {@code i} is found without an index. A record is {@code valid_len, b_start, num_preds, is_next}, the
 * example's source {@code (paragraph, sentence)} of a and of b, then the token ids padded to max_len, the prediction
 * positions and their labels, each padded with 0 to max_preds: everything {@link PretrainingExample} holds, the
 * segments and weights being functions of the lengths.
 */
final class ExampleRecords {
  private static final int VALID_LEN = 0;
  private static final int B_START = 1;
  private static final int NUM_PREDS = 2;
  private static final int IS_NEXT = 3;
  private static final int SOURCE = 4;
  static final int HEADER = 8;

  private final Ints ints;
  private final int maxLen;
  private final int maxPreds;
  private final int recordInts;
  private final int size;

  ExampleRecords(Ints ints, int maxLen, int maxPreds) {
    this.ints = ints;
    this.maxLen = maxLen;
    this.maxPreds = maxPreds;
    this.recordInts = recordInts(maxLen, maxPreds);
    long n = ints.size() / recordInts;
    if (n * recordInts != ints.size() || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(ints.size() + " ints are not whole records of " + recordInts);
    }
    this.size = (int) n;
  }

  static int recordInts(int maxLen, int maxPreds) {
    return HEADER + maxLen + 2 * maxPreds;
  }

  int size() {
    return size;
  }

  /** Appends one example; {@code record} is scratch space of {@link #recordInts} ints. */
  static void write(Ints.Writer out, Compact e, int[] source, int maxLen, int maxPreds, int pad, int[] record) {
    Arrays.fill(record, 0);
    record[VALID_LEN] = e.tokens.length;
    record[B_START] = e.bStart;
    record[NUM_PREDS] = e.predPositions.length;
    record[IS_NEXT] = e.isNext ? 1 : 0;
    System.arraycopy(source, 0, record, SOURCE, 4);
    System.arraycopy(e.tokens, 0, record, HEADER, e.tokens.length);
    Arrays.fill(record, HEADER + e.tokens.length, HEADER + maxLen, pad);
    System.arraycopy(e.predPositions, 0, record, HEADER + maxLen, e.predPositions.length);
    System.arraycopy(e.labels, 0, record, HEADER + maxLen + maxPreds, e.labels.length);
    out.add(record, 0, record.length);
  }

  private int[] record(int i) {
    int[] r = new int[recordInts];
    ints.get((long) i * recordInts, r, 0, recordInts);
    return r;
  }

  /** Example {@code i} as it was built, padded. */
  PretrainingExample example(int i) {
    int[] r = record(i);
    int validLen = r[VALID_LEN];
    int n = r[NUM_PREDS];
    int aLength = r[B_START] - SentencePair.bStart(0);
    float[] weights = new float[maxPreds];
    Arrays.fill(weights, 0, n, 1f);
    return new PretrainingExample(Arrays.copyOfRange(r, HEADER, HEADER + maxLen),
        SentencePair.segments(aLength, validLen - r[B_START] - 1, maxLen), validLen,
        Arrays.copyOfRange(r, HEADER + maxLen, HEADER + maxLen + maxPreds), weights,
        Arrays.copyOfRange(r, HEADER + maxLen + maxPreds, HEADER + maxLen + 2 * maxPreds), r[IS_NEXT] != 0);
  }

  /** Example {@code i} without its padding. */
  Compact compact(int i) {
    int[] r = record(i);
    int n = r[NUM_PREDS];
    return new Compact(Arrays.copyOfRange(r, HEADER, HEADER + r[VALID_LEN]), r[B_START],
        Arrays.copyOfRange(r, HEADER + maxLen, HEADER + maxLen + n),
        Arrays.copyOfRange(r, HEADER + maxLen + maxPreds, HEADER + maxLen + maxPreds + n), r[IS_NEXT] != 0);
  }

  /** Paragraph and sentence of a, paragraph and sentence of b (paragraphs in shuffled order). */
  int[] source(int i) {
    int[] s = new int[4];
    ints.get((long) i * recordInts + SOURCE, s, 0, 4);
    return s;
  }

  /**
   * An example without padding.
   *
   * @param tokens {@code <cls> a <sep> b <sep>} with the masked LM's replacements (the valid length)
   * @param bStart index of the first token of segment 1 ({@code a.length + 2})
   * @param predPositions the real prediction slots, increasing
   * @param labels the original tokens at {@code predPositions}
   */
  record Compact(int[] tokens, int bStart, int[] predPositions, int[] labels, boolean isNext) {
    /** The same pair with masks drawn afresh from {@code rng} (the original tokens put back first). */
    Compact remasked(MaskedLm masker, SplittableRandom rng) {
      int[] fresh = tokens.clone();
      for (int k = 0; k < predPositions.length; k++) {
        fresh[predPositions[k]] = labels[k];
      }
      int[] original = fresh.clone();
      int[] positions = masker.maskInPlace(fresh, fresh.length, rng, new long[MaskedLm.Action.values().length]);
      int[] newLabels = new int[positions.length];
      for (int k = 0; k < positions.length; k++) {
        newLabels[k] = original[positions[k]];
      }
      return new Compact(fresh, bStart, positions, newLabels, isNext);
    }

    PretrainingExample padded(int maxLen, int maxPreds, int pad) {
      int[] ids = Arrays.copyOf(tokens, maxLen);
      Arrays.fill(ids, tokens.length, maxLen, pad);
      int aLength = bStart - SentencePair.bStart(0);
      int[] segments = SentencePair.segments(aLength, tokens.length - bStart - 1, maxLen);
      float[] weights = new float[maxPreds];
      Arrays.fill(weights, 0, predPositions.length, 1f);
      return new PretrainingExample(ids, segments, tokens.length, Arrays.copyOf(predPositions, maxPreds), weights,
          Arrays.copyOf(labels, maxPreds), isNext);
    }
  }
}
