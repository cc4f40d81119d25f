package dev.jbert.cli;

import dev.jbert.Precision;
import java.io.PrintWriter;
import picocli.CommandLine;

/** {@code --precision fp32|bf16}, shared by pretrain, bench and the commands that run a model. */
public final class PrecisionOption {
  @CommandLine.Option(
      names = "--precision",
      paramLabel = "P",
      description = "fp32 (default: the reference numerics) or bf16: bf16 matrix products and attention, fp32 weights,"
          + " LayerNorm, softmax and losses. On a CPU without AVX512-BF16 or AMX bf16 is slower, so fp32 runs there.")
  String value;

  /** The precision asked for, or null when the flag was not given. */
  Precision requested() {
    return value == null ? null : Precision.parse(value);
  }

  /** What runs on {@code device}; says once on {@code err} when bf16 was asked for but fp32 runs. */
  Precision resolve(String device, PrintWriter err) {
    Precision asked = requested() == null ? Precision.FP32 : requested();
    Precision runs = asked.effective(device);
    if (runs != asked) {
      err.println("note: this CPU has no bf16 instructions (AVX512-BF16 or AMX): running fp32, which is faster here");
      err.flush();
    }
    return runs;
  }
}
