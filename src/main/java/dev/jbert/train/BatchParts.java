package dev.jbert.train;

import dev.jbert.data.HostBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Splits a batch into parts, one per device and micro-batch: contiguous, as DataParallel's scatter does, or by length. */
public final class BatchParts {
  private BatchParts() {}

  /** Parts of sizes differing by at most one, larger first; empty parts are left out. */
  public static List<HostBatch> split(HostBatch batch, int parts) {
    if (parts == 1) {
      return List.of(batch);
    }
    List<HostBatch> out = new ArrayList<>(parts);
    int base = batch.size() / parts;
    int extra = batch.size() % parts;
    int from = 0;
    for (int i = 0; i < parts; i++) {
      int n = base + (i < extra ? 1 : 0);
      if (n > 0) {
        out.add(slice(batch, from, from + n));
      }
      from += n;
    }
    return out;
  }

  /**
   * The parts of one training step: the examples ordered by valid length (stable), split as {@link #split} does, and
   * each part cut to the valid length of its longest example. The cut changes no loss and no gradient: a padded
   * position is a masked key (its attention weight is exactly 0 after the softmax), holds no prediction slot and is not
   * {@code <cls>}, so nothing it computes reaches the loss. It only removes work: with 8 micro-batches of the reference
   * batch, the parts' lengths average about 48 instead of 64. The examples all still count once, so the step's
   * gradient is the whole batch's as before; only the dropout masks, drawn per shape, differ.
   */
  public static List<HostBatch> splitByLength(HostBatch batch, int parts) {
    Integer[] order = new Integer[batch.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> batch.validLens()[i])); // stable: ties keep batch order
    HostBatch sorted = rows(batch, Arrays.stream(order).mapToInt(Integer::intValue).toArray(), batch.maxLen());
    List<HostBatch> out = new ArrayList<>();
    for (HostBatch part : split(sorted, parts)) {
      out.add(trimmed(part));
    }
    return out;
  }

  /** The batch cut to the valid length of its longest example. */
  public static HostBatch trimmed(HostBatch b) {
    int longest = 1;
    for (float v : b.validLens()) {
      longest = Math.max(longest, (int) Math.ceil(v));
    }
    if (longest >= b.maxLen()) {
      return b;
    }
    int[] all = new int[b.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return rows(b, all, longest);
  }

  /** Examples [from, to) of a batch. */
  public static HostBatch slice(HostBatch b, int from, int to) {
    int[] range = new int[to - from];
    for (int i = 0; i < range.length; i++) {
      range[i] = from + i;
    }
    return rows(b, range, b.maxLen());
  }

  /** The examples {@code order} of a batch, in that order, their token rows cut to {@code length}. */
  private static HostBatch rows(HostBatch b, int[] order, int length) {
    int n = order.length;
    int l = b.maxLen();
    int p = b.maxPreds();
    HostBatch out = new HostBatch(n, length, p, new long[n * length], new long[n * length], new float[n],
        new long[n * p], new float[n * p], new long[n * p], new long[n]);
    for (int i = 0; i < n; i++) {
      int from = order[i];
      System.arraycopy(b.tokens(), from * l, out.tokens(), i * length, length);
      System.arraycopy(b.segments(), from * l, out.segments(), i * length, length);
      out.validLens()[i] = b.validLens()[from];
      System.arraycopy(b.predPositions(), from * p, out.predPositions(), i * p, p);
      System.arraycopy(b.mlmWeights(), from * p, out.mlmWeights(), i * p, p);
      System.arraycopy(b.mlmLabels(), from * p, out.mlmLabels(), i * p, p);
      out.nspLabels()[i] = b.nspLabels()[from];
    }
    return out;
  }

  /** Sum of the MLM weights: the number of real prediction slots. */
  public static double weightSum(HostBatch b) {
    double s = 0;
    for (float w : b.mlmWeights()) {
      s += w;
    }
    return s;
  }
}
