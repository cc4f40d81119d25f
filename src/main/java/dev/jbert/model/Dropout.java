package dev.jbert.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The only place the model draws dropout masks: zero with probability {@code rate}, scale the kept values by
 * 1 / (1 - rate), as torch's dropout does. Identity unless {@code training}.
 *
 * <p>On a GPU this is torch's dropout. On the CPU, libtorch draws the mask with {@code bernoulli_} on one thread
 * (about 15 ns an element, 370 ms of a 2 s reference step); here the mask is drawn on all cores in Java instead,
 * straight into a torch tensor of 0 and 1 / (1 - rate), from a seed that itself comes from torch's seeded generator,
 * so runs stay reproducible and a resumed run draws the same masks. An element is kept when 32 random bits fall below
 * (1 - rate) * 2^32.
 */
public final class Dropout {
  /** Elements per independently seeded block: fixed, so that masks do not depend on the number of cores. */
  private static final int BLOCK = 1 << 16;

  private final float rate;

  public Dropout(float rate) {
    this.rate = rate;
  }

  public float rate() {
    return rate;
  }

  public NDArray forward(NDArray x, boolean training) {
    if (!training || rate == 0f) {
      return x;
    }
    if (!x.getDevice().getDeviceType().equals(Device.Type.CPU)) {
      return ai.djl.nn.norm.Dropout.dropout(x, rate, true).singletonOrThrow();
    }
    NDManager m = x.getManager();
    long seed;
    try (NDArray draw = m.randomInteger(0, Long.MAX_VALUE, new Shape(1), DataType.INT64)) {
      seed = draw.getLong(0);
    }
    // the mask holds 0 or 1 / (1 - rate) in the activations' dtype: one multiplication forward and one backward, no
    // conversion of a byte mask on either pass
    NDArray mask = m.create(x.getShape(), DataType.FLOAT32); // torch owns this memory; Java only fills it
    fillScaledMask(mask.toByteBuffer(true).asFloatBuffer(), rate, seed);
    if (x.getDataType() != DataType.FLOAT32) {
      mask = mask.toType(x.getDataType(), false);
    }
    return x.mul(mask);
  }

  /** Fills {@code mask} with values that are 0 with probability {@code rate}, else {@code 1 / (1 - rate)}. */
  static void fillScaledMask(FloatBuffer mask, float rate, long seed) {
    int n = mask.capacity();
    long threshold = (long) ((1.0 - rate) * 4294967296.0);
    float scale = (float) (1.0 / (1.0 - rate));
    IntStream.range(0, (n + BLOCK - 1) / BLOCK).parallel().forEach(block -> {
      SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (block + 1)));
      int end = Math.min(n, (block + 1) * BLOCK);
      for (int i = block * BLOCK; i < end; i += 2) {
        long bits = random.nextLong();
        // (u - threshold) >>> 63 is 1 when u < threshold: no branch to mispredict on one draw in ten
        mask.put(i, scale * (float) (((bits >>> 32) - threshold) >>> 63));
        if (i + 1 < end) {
          mask.put(i + 1, scale * (float) (((bits & 0xFFFFFFFFL) - threshold) >>> 63));
        }
      }
    });
  }
}
