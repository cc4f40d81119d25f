package dev.jbert.data;

import dev.jbert.Seeds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import java.util.stream.IntStream;

/**
 * Endless batches over epochs (spec section 6): each epoch is a fresh seeded shuffle of the examples, drawn from
 * (seed, epoch) alone, and its last partial batch is kept. Starting at a global batch index gives the same batches as
 * an uninterrupted iterator from 0, so a resumed run sees the data it would have seen.
 */
public final class BatchIterator implements Iterator<HostBatch> {
  private final LongFunction<List<PretrainingExample>> examplesOfEpoch;
  private final int size;
  private List<PretrainingExample> examples;
  private final int batchSize;
  private final long seed;
  private final int batchesPerEpoch;
  private long position;
  private long orderEpoch = -1;
  private int[] order;

  public BatchIterator(List<PretrainingExample> examples, int batchSize, long seed, long startBatch) {
    this(epoch -> examples, batchSize, seed, startBatch);
  }

  /**
   * Batches of the examples each epoch gives (the same pairs in the same number every epoch, their masks possibly
   * drawn anew: dynamic masking).
   */
  public BatchIterator(
      LongFunction<List<PretrainingExample>> examplesOfEpoch, int batchSize, long seed, long startBatch) {
    List<PretrainingExample> first = examplesOfEpoch.apply(0);
    if (first.isEmpty()) {
      throw new IllegalArgumentException("no examples to batch");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    if (startBatch < 0) {
      throw new IllegalArgumentException("start batch must be at least 0, got " + startBatch);
    }
    this.examplesOfEpoch = examplesOfEpoch; // lists not copied: a dataset's list pads each example when it is read
    this.size = first.size();
    this.batchSize = batchSize;
    this.seed = seed;
    this.batchesPerEpoch = (size + batchSize - 1) / batchSize;
    this.position = startBatch;
  }

  /** One pass in the given order, last partial batch kept: for evaluation. */
  public static List<HostBatch> inOrder(List<PretrainingExample> examples, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    List<HostBatch> batches = new ArrayList<>();
    for (int from = 0; from < examples.size(); from += batchSize) {
      batches.add(HostBatch.of(examples.subList(from, Math.min(examples.size(), from + batchSize))));
    }
    return batches;
  }

  /** The order of the examples in {@code epoch}: a Fisher-Yates shuffle seeded by (seed, epoch). */
  static int[] epochOrder(int n, long seed, long epoch) {
    int[] order = IntStream.range(0, n).toArray();
    SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, epoch));
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  @Override
  public boolean hasNext() {
    return true;
  }

  @Override
  public HostBatch next() {
    long epoch = position / batchesPerEpoch;
    int index = (int) (position % batchesPerEpoch);
    if (epoch != orderEpoch) {
      order = epochOrder(size, seed, epoch);
      examples = examplesOfEpoch.apply(epoch);
      if (examples.size() != size) {
        throw new IllegalStateException("epoch " + epoch + " has " + examples.size() + " examples, epoch 0 " + size);
      }
      orderEpoch = epoch;
    }
    int from = index * batchSize;
    int to = Math.min(size, from + batchSize);
    List<PretrainingExample> batch = new ArrayList<>(to - from);
    for (int i : Arrays.copyOfRange(order, from, to)) {
      batch.add(examples.get(i));
    }
    position++;
    return HostBatch.of(batch);
  }

  /** The global index of the next batch (epoch * batchesPerEpoch + batch in epoch). */
  public long position() {
    return position;
  }

  public long epoch() {
    return position / batchesPerEpoch;
  }

  public int batchesPerEpoch() {
    return batchesPerEpoch;
  }
}
