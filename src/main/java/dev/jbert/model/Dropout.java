package dev.jbert.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.jbert.Seeds;
import java.nio.IntBuffer;
import java.util.stream.IntStream;

/**
 * The only place the model draws dropout masks: zero with probability {@code rate}, scale the kept values by
 * 1 / (1 - rate), as torch's dropout does. Identity in inference ({@code keys == null}).
 *
 * <p>A mask element is a function of the step's seed, the dropout site (which layer), the example (its index in the
 * step's whole batch, {@link Keys#rows}) and the element's coordinates inside that example: not of the part of the
 * batch it runs in or of the length the part is cut to. So a step gives the same masks whether its batch runs whole,
 * in micro-batches or on several devices, which is what makes {@code --micro-batches} and {@code --devices} free to
 * change on {@code --resume}.
 *
 * <p>On the CPU the mask is drawn on all cores in Java, straight into a torch tensor of 0 and 1 / (1 - rate) (libtorch
 * draws CPU masks with {@code bernoulli_} on one thread, about 15 ns an element). Each row of the last dimension hashes
 * a Weyl sequence through MurmurHash3's finaliser from a key of (seed, site, example, row): int arithmetic only, which
 * the JIT vectorises. On a GPU it is torch's dropout, seeded from the engine (see {@link Keys}).
 */
public final class Dropout {
  /** Stride of a coordinate in a row's key: more than any sequence length or head count. */
  private static final long ROW_STRIDE = 1L << 16;

  /** Elements filled per task: rows are grouped so each task has about this many. */
  private static final int TASK = 1 << 14;

  /** {@code i * 0x9E3779B9} for i in a row, so the mask loop has no index arithmetic the JIT cannot vectorise. */
  private static final int[] WEYL = new int[1 << 16];

  static {
    for (int i = 0; i < WEYL.length; i++) {
      WEYL[i] = i * 0x9E3779B9;
    }
  }

  /**
   * What a training forward pass draws its masks from.
   *
   * @param seed the step's seed
   * @param rows per row of the batch the forward pass runs on (dimension 0), the example's index in the step's whole
   *     batch
   */
  public record Keys(long seed, long[] rows) {
    /** Keys for a batch of {@code batch} examples numbered 0.., with a seed drawn from the engine's generator. */
    public static Keys fromEngine(NDManager m, long batch) {
      long seed;
      try (NDArray draw = m.randomInteger(0, Long.MAX_VALUE, new Shape(1), DataType.INT64)) {
        seed = draw.getLong(0);
      }
      return new Keys(seed, IntStream.range(0, Math.toIntExact(batch)).asLongStream().toArray());
    }
  }

  private final float rate;
  private final int site;

  /** @param site which dropout of the model this is: masks of different sites are independent */
  public Dropout(float rate, int site) {
    this.rate = rate;
    this.site = site;
  }

  public float rate() {
    return rate;
  }

  /** x: (B, ..., C), the batch first; null keys = inference (x itself). */
  public NDArray forward(NDArray x, Keys keys) {
    if (keys == null || rate == 0f) {
      return x;
    }
    if (!x.getDevice().getDeviceType().equals(Device.Type.CPU)) {
      return ai.djl.nn.norm.Dropout.dropout(x, rate, true).singletonOrThrow();
    }
    long[] shape = x.getShape().getShape();
    if (keys.rows().length != shape[0]) {
      throw new IllegalArgumentException("dropout keys for " + keys.rows().length + " rows, input " + x.getShape());
    }
    // the mask holds 0 or 1 / (1 - rate) in the activations' dtype: one multiplication forward and one backward, no
    // conversion of a byte mask on either pass
    NDArray mask = x.getManager().create(x.getShape(), DataType.FLOAT32); // torch owns this memory; Java only fills it
    fillScaledMask(mask.toByteBuffer(true).asIntBuffer(), shape, rate, Seeds.mix(keys.seed(), site), keys.rows());
    if (x.getDataType() != DataType.FLOAT32) {
      mask = mask.toType(x.getDataType(), false);
    }
    return x.mul(mask);
  }

  /**
   * Fills {@code mask}, of {@code shape} (B, d1, ..., C), with values that are 0 with probability {@code rate}, else
   * {@code 1 / (1 - rate)}, written as their float bits. A row (b, i1, ...) of C elements is keyed by {@code siteSeed},
   * {@code rows[b]} and its coordinates; element c of the row is kept when 31 bits of
   * {@code fmix32(key + c * 0x9E3779B9)} fall below {@code (1 - rate) * 2^31}. About 1 ns an element on 2 cores.
   */
  static void fillScaledMask(IntBuffer mask, long[] shape, float rate, long siteSeed, long[] rows) {
    int c = Math.toIntExact(shape[shape.length - 1]);
    if (c > WEYL.length) {
      throw new IllegalArgumentException("a dropout row of " + c + " elements is longer than " + WEYL.length);
    }
    long rowsPerExample = 1;
    for (int d = 1; d < shape.length - 1; d++) {
      rowsPerExample *= shape[d];
    }
    long totalRows = shape[0] * rowsPerExample;
    if (totalRows * c != mask.capacity()) {
      throw new IllegalArgumentException("mask of " + mask.capacity() + " elements for shape " + new Shape(shape));
    }
    int threshold = (int) ((1.0 - rate) * 2147483648.0);
    int scaleBits = Float.floatToIntBits((float) (1.0 / (1.0 - rate)));
    int rowsPerTask = Math.max(1, TASK / Math.max(1, c));
    long perExample = rowsPerExample;
    IntStream.range(0, (int) ((totalRows + rowsPerTask - 1) / rowsPerTask)).parallel().forEach(task -> {
      long first = (long) task * rowsPerTask;
      int n = (int) Math.min(rowsPerTask, totalRows - first);
      int[] values = new int[n * c];
      for (int i = 0; i < n; i++) {
        long row = first + i;
        long example = rows[(int) (row / perExample)];
        long within = rowKey(row % perExample, shape);
        int key = (int) Seeds.mix(Seeds.mix(siteSeed, example), within);
        fillRow(values, i * c, c, key, threshold, scaleBits);
      }
      mask.put(Math.toIntExact(first * c), values, 0, values.length);
    });
  }

  /** The row's coordinates (d1, ..., d_{k-1}) inside its example, each with a fixed stride: independent of the cut. */
  private static long rowKey(long index, long[] shape) {
    long key = 0;
    long stride = 1;
    for (int d = shape.length - 2; d >= 1; d--) {
      key += (index % shape[d]) * stride;
      index /= shape[d];
      stride *= ROW_STRIDE;
    }
    return key;
  }

  private static void fillRow(int[] values, int from, int length, int key, int threshold, int scaleBits) {
    for (int i = 0; i < length; i++) {
      int h = key + WEYL[i];
      h ^= h >>> 16;
      h *= 0x85EBCA6B;
      h ^= h >>> 13;
      h *= 0xC2B2AE35;
      h ^= h >>> 16;
      // ((h >>> 1) - threshold) >> 31 is all ones when kept, else 0: no branch to mispredict on one draw in ten
      values[from + i] = scaleBits & (((h >>> 1) - threshold) >> 31);
    }
  }
}
