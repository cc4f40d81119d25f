package dev.jbert.train;

import dev.jbert.data.HostBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Splits a batch into parts, one per device and micro-batch, each cut to its longest example. */
public final class BatchParts {
  private BatchParts() {}

  /**
   * The parts of one training step: the examples ordered by valid length (stable), split into parts of sizes differing
   * by at most one (larger first; empty parts are left out), each cut to the valid length of its longest example. The
   * cut changes no loss and no gradient: a padded position is a masked key (its attention weight is exactly 0 after the
   * softmax), holds no prediction slot and is not {@code <cls>}, so nothing it computes reaches the loss. It only
   * removes work: with 8 micro-batches of the reference batch, the parts' lengths average about 48 instead of 64. The
   * examples all still count once, so the step's gradient is the whole batch's as before; only the dropout masks, drawn
   * per shape, differ.
   */
  public static List<HostBatch> splitByLength(HostBatch batch, int parts) {
    if (parts == 1) {
      return List.of(trimmed(batch));
    }
    int[] order = IntStream.range(0, batch.size()).boxed()
        .sorted(Comparator.comparingDouble(i -> batch.validLens()[i])) // stable: ties keep batch order
        .mapToInt(Integer::intValue).toArray();
    List<HostBatch> out = new ArrayList<>(parts);
    int base = batch.size() / parts;
    int extra = batch.size() % parts;
    int from = 0;
    for (int i = 0; i < parts; i++) {
      int n = base + (i < extra ? 1 : 0);
      if (n > 0) {
        int[] part = Arrays.copyOfRange(order, from, from + n);
        out.add(rows(batch, part, longest(batch, part)));
      }
      from += n;
    }
    return out;
  }

  /**
   * Rank {@code rank}'s share of a batch split across {@code ranks} processes: consecutive examples, shares of sizes
   * differing by at most one (larger first; empty when there are more ranks than examples). Each example keeps its
   * index in the whole batch ({@link HostBatch#rows}), so its dropout masks are the ones it gets in one process.
   */
  public static HostBatch share(HostBatch batch, int rank, int ranks) {
    int base = batch.size() / ranks;
    int extra = batch.size() % ranks;
    int from = rank * base + Math.min(rank, extra);
    int n = base + (rank < extra ? 1 : 0);
    return rows(batch, IntStream.range(from, from + n).toArray(), batch.maxLen());
  }

  /** The batch cut to the valid length of its longest example (the batch itself when nothing can be cut). */
  public static HostBatch trimmed(HostBatch b) {
    int[] all = IntStream.range(0, b.size()).toArray();
    int longest = longest(b, all);
    return longest == b.maxLen() ? b : rows(b, all, longest);
  }

  /** The longest valid length among the examples {@code order}, at least 1. */
  private static int longest(HostBatch b, int[] order) {
    int longest = 1;
    for (int i : order) {
      longest = Math.max(longest, (int) Math.ceil(b.validLens()[i]));
    }
    return Math.min(longest, b.maxLen());
  }

  /** The examples {@code order} of a batch, in that order, their token rows cut to {@code length}. */
  private static HostBatch rows(HostBatch b, int[] order, int length) {
    int n = order.length;
    int l = b.maxLen();
    int p = b.maxPreds();
    HostBatch out = new HostBatch(n, length, p, new long[n * length], new long[n * length], new float[n],
        new long[n * p], new float[n * p], new long[n * p], new long[n], new long[n]);
    for (int i = 0; i < n; i++) {
      int from = order[i];
      System.arraycopy(b.tokens(), from * l, out.tokens(), i * length, length);
      System.arraycopy(b.segments(), from * l, out.segments(), i * length, length);
      out.validLens()[i] = b.validLens()[from];
      System.arraycopy(b.predPositions(), from * p, out.predPositions(), i * p, p);
      System.arraycopy(b.mlmWeights(), from * p, out.mlmWeights(), i * p, p);
      System.arraycopy(b.mlmLabels(), from * p, out.mlmLabels(), i * p, p);
      out.nspLabels()[i] = b.nspLabels()[from];
      out.rows()[i] = b.rows()[from];
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
