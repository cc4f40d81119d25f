package dev.jbert.data;

import java.util.Arrays;

/**
 * The layout of BERT's input, in one place for the pretraining examples and the encoder (spec sections 4 and 9):
 * {@code <cls> a <sep>} with segment 0, then for a pair {@code b <sep>} with segment 1, then padding (segment 0).
 */
public final class SentencePair {
  /** The position of a's first token, after {@code <cls>}. */
  public static final int A_START = 1;

  private SentencePair() {}

  /** The position of b's first token: after {@code <cls> a <sep>}. */
  public static int bStart(int aLength) {
    return aLength + 2;
  }

  /** The length with the special tokens: {@code a + 2} alone, {@code a + b + 3} for a pair ({@code bLength < 0}: none). */
  public static int length(int aLength, int bLength) {
    return bLength < 0 ? aLength + 2 : aLength + bLength + 3;
  }

  /** {@code <cls> a <sep> [b <sep>]} padded to {@code length}; {@code b} null for a single text. */
  public static int[] ids(int[] a, int[] b, SpecialIds s, int length) {
    int[] ids = new int[length];
    Arrays.fill(ids, s.pad());
    ids[0] = s.cls();
    System.arraycopy(a, 0, ids, A_START, a.length);
    ids[a.length + 1] = s.sep();
    if (b != null) {
      System.arraycopy(b, 0, ids, bStart(a.length), b.length);
      ids[a.length + b.length + 2] = s.sep();
    }
    return ids;
  }

  /** 0 for {@code <cls> a <sep>}, 1 for {@code b <sep>} ({@code bLength < 0}: none), 0 on the padding to {@code length}. */
  public static int[] segments(int aLength, int bLength, int length) {
    int[] segments = new int[length];
    if (bLength >= 0) {
      Arrays.fill(segments, bStart(aLength), length(aLength, bLength), 1);
    }
    return segments;
  }
}
