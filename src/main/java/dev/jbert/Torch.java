package dev.jbert;

import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.LayoutOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * libtorch, reached through JavaCPP's presets ({@code org.bytedeco:pytorch}): loading it safely, and moving data between
 * Java arrays and tensors.
 *
 * <p>Memory: every tensor handle made by a native call attaches itself to the innermost open {@link PointerScope} of
 * its thread and is released when that scope closes; outside a scope only the garbage collector frees it, and nothing
 * makes the collector run for native memory. So work that makes temporaries runs inside a scope (a training step, an
 * evaluation batch, an encode call), and what must outlive the scope is {@link #keep kept} and later closed.
 */
public final class Torch {
  private static volatile boolean loaded;
  private static final Map<String, Device> DEVICES = new ConcurrentHashMap<>();

  static {
    // JavaCPP refuses every new Pointer (each Tensor handle) with an OutOfMemoryError once the process's resident size
    // passes maxPhysicalBytes, by default 4 x -Xmx: 1 GB under the launcher's -Xmx256m, though libtorch's memory is no
    // part of the Java heap. No limit, unless the user set one. Read when JavaCPP's Pointer class initialises, which no
    // jbert code does before this class.
    if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null
        && System.getProperty("org.bytedeco.javacpp.maxphysicalbytes") == null) {
      System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
    }
  }

  private Torch() {}

  /**
   * Extracts all native libraries into JavaCPP's cache before the first one is loaded, then loads libtorch. Call before
   * any other use of {@code org.bytedeco.pytorch} (every method here does).
   *
   * <p>Why: JavaCPP loads the stub {@code libtorch.so} (which only says NEEDED libtorch_cpu.so, RUNPATH $ORIGIN) before
   * it has extracted the 331 MB {@code libtorch_cpu.so}, so the dynamic loader opens whatever file is in the cache at
   * that moment: half-written by another JVM starting at the same time, or truncated by a JVM killed during its first
   * start. Either maps a short file and dies of SIGBUS/SIGSEGV in ld.so. Extracting each whole folder first happens
   * under JavaCPP's cache lock and checks each file's size, so no library is ever opened half-written
   * (docs/engine.md, section 1).
   */
  public static void load() {
    if (loaded) {
      return;
    }
    synchronized (Torch.class) {
      if (loaded) {
        return;
      }
      String platform = Loader.getPlatform();
      try {
        for (String pkg : new String[] {"javacpp", "openblas", "mkl", "pytorch"}) {
          for (String folder : new String[] {platform, platform + "-gpu"}) {
            String path = "/org/bytedeco/" + pkg + "/" + folder + "/";
            if (Loader.class.getResource(path) == null) {
              continue;
            }
            File[] files = Loader.cacheResources(Loader.class, path);
            if (files.length == 0) {
              throw new JbertException("no native libraries for " + pkg + " on " + folder + " in the class path");
            }
          }
        }
      } catch (IOException e) {
        throw new JbertException("cannot extract libtorch into JavaCPP's cache: " + e.getMessage()
            + "; free some disk space or point -Dorg.bytedeco.javacpp.cachedir elsewhere", e);
      }
      if (!System.getProperty("org.bytedeco.openblas.load", "").isEmpty()) {
        // another BLAS under OpenBLAS's name (-Dorg.bytedeco.openblas.load=mkl_rt with MKL's jars on the class path):
        // the preset honours the property only when its own classes are loaded first, not as torch's dependency
        Loader.load(org.bytedeco.openblas.presets.openblas_nolapack.class);
        Loader.load(org.bytedeco.openblas.presets.openblas.class);
      }
      Loader.load(torch.class);
      // autocast keeps a lower-precision copy of each weight until at::autocast::clear_cache(), which the Java bindings
      // do not map: after an in-place optimiser update the next forward would still use the old weight
      torch.set_autocast_cache_enabled(false);
      loaded = true;
    }
  }

  /** {@code t} survives the scope it was made in; {@link Tensor#close()} releases it. Returns {@code t}. */
  public static <T extends Pointer> T keep(T t) {
    t.retainReference();
    return t;
  }

  /** Runs {@code body} in a pointer scope of its own: every tensor it makes and does not keep is freed at the end. */
  public static <T> T scoped(java.util.function.Supplier<T> body) {
    load();
    try (PointerScope scope = new PointerScope()) {
      return body.get();
    }
  }

  /** The device called {@code name} ({@code cpu}, {@code cuda:0}, ...), created once and kept. */
  public static Device device(String name) {
    load();
    return DEVICES.computeIfAbsent(name, n -> keep(new Device(n)));
  }

  /** Whether {@code t} is on the CPU. */
  public static boolean onCpu(Tensor t) {
    return !t.is_cuda();
  }

  /** {@code t} on {@code device}: {@code t} itself when it is there already, else a copy. */
  public static Tensor to(Tensor t, String device) {
    return deviceName(t).equals(device) ? t : t.to(device(device), t.scalar_type());
  }

  /** The device of {@code t} as {@code cpu} or {@code cuda:N}. */
  public static String deviceName(Tensor t) {
    if (!t.is_cuda()) {
      return "cpu";
    }
    try (Device d = t.device()) {
      return "cuda:" + d.index();
    }
  }

  /** The dtype of {@code t}, comparable with {@code ==} (enums returned by native calls are not the canonical ones). */
  public static ScalarType dtype(Tensor t) {
    return t.scalar_type().intern();
  }

  /** The shape of {@code t}. */
  public static long[] shape(Tensor t) {
    return t.sizes().vec().get();
  }

  /** A new int64 tensor holding a copy of {@code data}, of {@code shape} (1-D when none is given), on the CPU. */
  public static Tensor longs(long[] data, long... shape) {
    load();
    return Tensor.create(data, shape.length == 0 ? new long[] {data.length} : shape);
  }

  /** A new float32 tensor holding a copy of {@code data}, of {@code shape} (1-D when none is given), on the CPU. */
  public static Tensor floats(float[] data, long... shape) {
    load();
    return Tensor.create(data, shape.length == 0 ? new long[] {data.length} : shape);
  }

  /** A new float64 tensor holding a copy of {@code data}, of {@code shape} (1-D when none is given), on the CPU. */
  public static Tensor doubles(double[] data, long... shape) {
    load();
    return Tensor.create(data, shape.length == 0 ? new long[] {data.length} : shape);
  }

  /** An uninitialised CPU tensor of {@code dtype}, allocated by libtorch. */
  public static Tensor empty(ScalarType dtype, long... shape) {
    load();
    return torch.empty(shape, new ScalarTypeOptional(dtype), new LayoutOptional(), new DeviceOptional(),
        new BoolOptional(), new MemoryFormatOptional());
  }

  /** A zero tensor of {@code dtype} on {@code device}. */
  public static Tensor zeros(ScalarType dtype, String device, long... shape) {
    load();
    return torch.zeros(shape, new ScalarTypeOptional(dtype), new LayoutOptional(), new DeviceOptional(device(device)),
        new BoolOptional());
  }

  /** The elements of {@code t} (any dtype, device or layout), as float32, row-major. */
  public static float[] toFloats(Tensor t) {
    float[] out = new float[Math.toIntExact(t.numel())];
    readOut(t, ScalarType.Float, c -> new FloatPointer(c.data_ptr()).get(out));
    return out;
  }

  /** The elements of {@code t} as float64, row-major. */
  public static double[] toDoubles(Tensor t) {
    double[] out = new double[Math.toIntExact(t.numel())];
    readOut(t, ScalarType.Double, c -> new DoublePointer(c.data_ptr()).get(out));
    return out;
  }

  /** The elements of {@code t} as int64, row-major. */
  public static long[] toLongs(Tensor t) {
    long[] out = new long[Math.toIntExact(t.numel())];
    readOut(t, ScalarType.Long, c -> new LongPointer(c.data_ptr()).get(out));
    return out;
  }

  /** Hands {@code read} a contiguous CPU copy of {@code t} in {@code type} (t itself when it is one), then frees it. */
  private static void readOut(Tensor t, ScalarType type, java.util.function.Consumer<Tensor> read) {
    try (PointerScope scope = new PointerScope()) {
      read.accept(t.detach().to(device("cpu"), type).contiguous());
    }
  }

  /** The single value of {@code t} as a double. */
  public static double item(Tensor t) {
    return t.item_double();
  }

  /** A scalar for arithmetic with tensors. */
  public static Scalar scalar(double value) {
    return new Scalar(value);
  }

  /** Shape as text, {@code (2, 3)}, for messages. */
  public static String shapeText(long[] shape) {
    return Arrays.toString(shape).replace('[', '(').replace(']', ')');
  }
}
