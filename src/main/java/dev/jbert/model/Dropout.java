package dev.jbert.model;

import dev.jbert.Seeds;
import dev.jbert.Torch;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
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
    /** Keys for a batch of {@code batch} examples numbered 0.. */
    public static Keys of(long seed, long batch) {
      return new Keys(seed, IntStream.range(0, Math.toIntExact(batch)).asLongStream().toArray());
    }
  }

  private Dropout() {}

  /**
   * x: (B, ..., C), the batch first; null keys = inference (x itself). The product with the float32 mask follows
   * torch's type promotion: a bf16 input comes out fp32 (so the scale 1 / (1 - rate) is not rounded to bf16), a float64
   * input float64.
   */
  public static Tensor apply(Tensor x, float rate, int site, Keys keys) {
    if (keys == null || rate == 0f) {
      return x;
    }
    if (!Torch.onCpu(x)) {
      // a GPU's memory is not Java's to fill: torch's own dropout, drawn from the generator seeded with the step
      return torch.dropout(x, rate, true);
    }
    long[] shape = Torch.shape(x);
    if (keys.rows().length != shape[0]) {
      throw new IllegalArgumentException(
          "dropout keys for " + keys.rows().length + " rows, input " + Torch.shapeText(shape));
    }
    // the mask holds 0 or 1 / (1 - rate): one multiplication forward and one backward, no conversion of a byte mask
    Tensor mask = Torch.empty(ScalarType.Float, shape); // torch owns this memory; Java only fills it
    try (IntPointer memory = new IntPointer(mask.data_ptr())) {
      IntBuffer view = memory.capacity(mask.numel()).asBuffer();
      fillScaledMask(view, shape, rate, Seeds.mix(keys.seed(), site), keys.rows());
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
      throw new IllegalArgumentException(
          "mask of " + mask.capacity() + " elements for shape " + Torch.shapeText(shape));
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
