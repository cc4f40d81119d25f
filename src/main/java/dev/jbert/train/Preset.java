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
  D2L(3e-3f, 0, false),
  /**
   * BERT-base sizes. Devlin et al. 2019 (appendix A.2): Adam lr 1e-4, warmup over the first 10,000 of 1,000,000 steps,
   * i.e. 1% of the run, which is what a run of any length gets here.
   */
  BASE(1e-4f, 100, false),
  /** BERT-large sizes, with BERT-base's recipe (the paper trains both at lr 1e-4 with the same warmup). */
  LARGE(1e-4f, 100, false),
  /**
   * BERT's own architecture ({@code --arch bert}) at the sizes Google published (Turc et al. 2019 for tiny to medium),
   * each with BERT's recipe: lr 1e-4, warmup over 1% of the run, then linear decay to 0, AdamW (weight decay 0.01,
   * eps 1e-6) and the gradients' norm clipped to 1.0, as Google's run_pretraining.py / optimization.py do.
   */
  BERT_TINY(1e-4f, 100, true),
  BERT_MINI(1e-4f, 100, true),
  BERT_SMALL(1e-4f, 100, true),
  BERT_MEDIUM(1e-4f, 100, true),
  BERT_BASE(1e-4f, 100, true),
  BERT_LARGE(1e-4f, 100, true);

  /** BERT's AdamWeightDecayOptimizer: weight_decay_rate 0.01, epsilon 1e-6; clip_by_global_norm 1.0. */
  static final float BERT_WEIGHT_DECAY = 0.01f;

  static final float BERT_EPS = 1e-6f;
  static final float BERT_CLIP = 1.0f;

  private final float lr;
  private final int warmupDivisor;
  private final boolean bertRecipe;

  Preset(float lr, int warmupDivisor, boolean bertRecipe) {
    this.lr = lr;
    this.warmupDivisor = warmupDivisor;
    this.bertRecipe = bertRecipe;
  }

  /** The preset called {@code name}: d2l, base, large, bert-tiny ... bert-large. */
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
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
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

  /**
   * The recipe's optimizer, schedule and clipping on {@code t}: BERT's for the bert-* presets; d2l, base and large keep
   * plain Adam at a constant rate without clipping, as they always did.
   */
  public TrainConfig.Builder recipe(TrainConfig.Builder t) {
    if (!bertRecipe) {
      return t;
    }
    return t.optimizer(TrainConfig.ADAMW).weightDecay(BERT_WEIGHT_DECAY).eps(BERT_EPS)
        .schedule(TrainConfig.LINEAR).clipGradNorm(BERT_CLIP);
  }
}
