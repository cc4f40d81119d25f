package dev.jbert.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The examples as int32 records, on the heap or in a mapped cache file ({@link ExampleCache}), each as long as its
 * pair: {@code valid_len, b_start, num_preds, is_next}, the example's source {@code (paragraph, sentence)} of a and of
 * b, the token ids, the prediction positions and their labels; everything {@link PretrainingExample} holds, the
 * segments, weights and padding being functions of the lengths (padded records would take 2.7 KB a pair at max_len
 * 512). An index after the records holds each record's first int as a long (low, then high int), so example
 * {@code i} is found at once.
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
  private final int pad;
  private final int size;
  private final long index;

  /** {@code count} records followed by their index, as {@link Writer} wrote them; {@code pad} pads the tokens. */
  ExampleRecords(Ints ints, int count, int maxLen, int maxPreds, int pad) {
    this.ints = ints;
    this.pad = pad;
    this.maxLen = maxLen;
    this.maxPreds = maxPreds;
    this.size = count;
    this.index = ints.size() - 2L * count;
    if (index < 0) {
      throw new IllegalArgumentException(ints.size() + " ints cannot hold the index of " + count + " records");
    }
  }

  int size() {
    return size;
  }

  /** Appends records, then their index. */
  static final class Writer {
    private final Ints.Writer out;
    private long[] starts = new long[1 << 10];
    private int count;

    Writer(Ints.Writer out) {
      this.out = out;
    }

    void add(Compact e, int[] source) {
      if (count == starts.length) {
        starts = java.util.Arrays.copyOf(starts, count * 2);
      }
      starts[count++] = out.size();
      out.add(e.tokens.length);
      out.add(e.bStart);
      out.add(e.predPositions.length);
      out.add(e.isNext ? 1 : 0);
      out.add(source, 0, 4);
      out.add(e.tokens, 0, e.tokens.length);
      out.add(e.predPositions, 0, e.predPositions.length);
      out.add(e.labels, 0, e.labels.length);
    }

    /** Writes the index; the records written. */
    int finish() {
      for (int i = 0; i < count; i++) {
        out.add((int) starts[i]);
        out.add((int) (starts[i] >>> 32));
      }
      return count;
    }
  }

  private int[] record(int i) {
    long at = (ints.get(index + 2L * i) & 0xffffffffL) | ((long) ints.get(index + 2L * i + 1) << 32);
    int[] head = new int[HEADER];
    ints.get(at, head, 0, HEADER);
    int[] r = Arrays.copyOf(head, HEADER + head[VALID_LEN] + 2 * head[NUM_PREDS]);
    ints.get(at + HEADER, r, HEADER, r.length - HEADER);
    return r;
  }

  /** Example {@code i} as it was built, padded. */
  PretrainingExample example(int i) {
    return compact(i).padded(maxLen, maxPreds, pad);
  }

  /** Example {@code i} without its padding. */
  Compact compact(int i) {
    int[] r = record(i);
    int len = r[VALID_LEN];
    int n = r[NUM_PREDS];
    return new Compact(Arrays.copyOfRange(r, HEADER, HEADER + len), r[B_START],
        Arrays.copyOfRange(r, HEADER + len, HEADER + len + n), Arrays.copyOfRange(r, HEADER + len + n, HEADER + len
        + 2 * n), r[IS_NEXT] != 0);
  }

  /** Paragraph and sentence of a, paragraph and sentence of b (paragraphs in shuffled order). */
  int[] source(int i) {
    return Arrays.copyOfRange(record(i), SOURCE, SOURCE + 4);
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
