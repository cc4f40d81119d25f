package dev.jbert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The precision of the matrix products: {@code fp32} (the reference numerics) or {@code bf16}, which is what
 * {@code torch.autocast(dtype=torch.bfloat16)} does: bf16 products and attention, fp32 weights, optimiser state,
 * LayerNorm, softmax and losses.
 */
public enum Precision {
  FP32,
  BF16;

  /** {@code fp32} or {@code bf16}, for flags and config files. */
  public String flag() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Precision parse(String s) {
    for (Precision p : values()) {
      if (p.flag().equals(s.trim().toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new JbertException("--precision " + s + " is not known: use fp32 or bf16");
  }

  /**
   * What runs on {@code device}: bf16 on a GPU, or on a CPU with bf16 instructions (AVX512-BF16 or AMX); fp32 otherwise,
   * because without them libtorch emulates bf16 products and runs slower than fp32.
   */
  public Precision effective(String device) {
    if (this == FP32 || !device.equals("cpu")) {
      return this;
    }
    return cpuHasBf16() ? BF16 : FP32;
  }

  /** Whether this CPU has AVX512-BF16 or AMX-BF16 (Linux: the flags of /proc/cpuinfo). */
  public static boolean cpuHasBf16() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          return line.contains(" avx512_bf16") || line.contains(" amx_bf16");
        }
      }
    } catch (IOException e) {
      // not Linux: say no, and run fp32
    }
    return false;
  }

  /**
   * Turns autocast on for this thread's work on {@code device} (bf16), or does nothing (fp32), until the returned scope
   * closes. Backward passes run after it closes, as in PyTorch.
   */
  public Autocast autocast(String device) {
    if (this == FP32) {
      return () -> {};
    }
    Torch.load();
    DeviceType type = device.equals("cpu") ? DeviceType.CPU : DeviceType.CUDA;
    torch.set_autocast_dtype(type, ScalarType.BFloat16);
    torch.set_autocast_enabled(type, true);
    return () -> torch.set_autocast_enabled(type, false);
  }

  /** An autocast region: closing it ends it. */
  public interface Autocast extends AutoCloseable {
    @Override
    void close();
  }
}
