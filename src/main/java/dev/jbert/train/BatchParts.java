package dev.jbert.train;

import dev.jbert.data.HostBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Splits a batch along its first axis into contiguous parts, one per device, as DataParallel's scatter does. */
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

  /** Examples [from, to) of a batch. */
  public static HostBatch slice(HostBatch b, int from, int to) {
    int l = b.maxLen();
    int p = b.maxPreds();
    return new HostBatch(
        to - from,
        l,
        p,
        Arrays.copyOfRange(b.tokens(), from * l, to * l),
        Arrays.copyOfRange(b.segments(), from * l, to * l),
        Arrays.copyOfRange(b.validLens(), from, to),
        Arrays.copyOfRange(b.predPositions(), from * p, to * p),
        Arrays.copyOfRange(b.mlmWeights(), from * p, to * p),
        Arrays.copyOfRange(b.mlmLabels(), from * p, to * p),
        Arrays.copyOfRange(b.nspLabels(), from, to));
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
