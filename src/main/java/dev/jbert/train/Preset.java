package dev.jbert.train;

import dev.jbert.JbertException;
import dev.jbert.model.BertConfig;
import java.util.Arrays;
import java.util.Locale;

/**
 * A model size with the learning rate and warmup of its published recipe. A size alone is not enough: BERT-base
 * trained at d2l's lr 3e-3 collapses after one step (every token vector the same within 8e-5), at BERT's 1e-4 it learns.
 */
public enum Preset {
  /** d2l's BERT (spec section 7) and its reference run: Adam lr 3e-3, constant. */
  D2L(3e-3f, 0),
  /**
   * BERT-base sizes. Devlin et al. 2019 (appendix A.2): Adam lr 1e-4, warmup over the first 10,000 of 1,000,000 steps,
   * i.e. 1% of the run, which is what a run of any length gets here.
   */
  BASE(1e-4f, 100),
  /** BERT-large sizes, with BERT-base's recipe (the paper trains both at lr 1e-4 with the same warmup). */
  LARGE(1e-4f, 100);

  private final float lr;
  private final int warmupDivisor;

  Preset(float lr, int warmupDivisor) {
    this.lr = lr;
    this.warmupDivisor = warmupDivisor;
  }

  /** The preset called {@code name}: d2l, base or large. */
  public static Preset named(String name) {
    for (Preset p : values()) {
      if (p.cliName().equals(name)) {
        return p;
      }
    }
    throw new JbertException("unknown model preset '" + name + "'; use one of "
        + String.join(", ", Arrays.stream(values()).map(Preset::cliName).toList()));
  }

  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public BertConfig model(int vocabSize) {
    return BertConfig.preset(cliName(), vocabSize);
  }

  /** The recipe's peak learning rate. */
  public float lr() {
    return lr;
  }

  /** Warmup steps for a run of {@code steps} steps: 0 for d2l, else 1% of the run (at least 1). */
  public int warmupSteps(int steps) {
    return warmupDivisor == 0 ? 0 : Math.max(1, steps / warmupDivisor);
  }
}
