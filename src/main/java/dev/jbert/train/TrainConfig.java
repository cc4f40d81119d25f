package dev.jbert.train;

import dev.jbert.JbertException;
import dev.jbert.Precision;

/**
 * Hyperparameters of a pretraining run. {@link #reference()} is the d2l reference run (spec section 8): batch 512, 50
 * Adam steps at lr 3e-3 with torch's default betas and eps, no weight decay, no schedule. Build variations with
 * {@link #builder()}.
 *
 * @param batchSize sentence pairs per optimiser step, split across the devices
 * @param steps total optimiser steps of the run (a resumed run continues up to this number)
 * @param lr Adam learning rate (the peak, after the warmup)
 * @param warmupSteps the learning rate rises linearly from lr / warmupSteps to lr over the first warmupSteps steps;
 *     0 = constant (d2l)
 * @param beta1 Adam first-moment decay
 * @param beta2 Adam second-moment decay
 * @param eps Adam epsilon, added to sqrt(v_hat) as torch does
 * @param seed seeds the weights, the batch order and the dropout masks (one stream per step, so a resumed run is exact)
 * @param evalEvery evaluate on the validation text every this many steps, and at the end; 0 = only at the end
 * @param skipEval evaluate never, not even at the end
 * @param checkpointEvery write a checkpoint every this many steps; 0 = only at the end (and on Ctrl-C)
 * @param mlmAllSlots compute MLM logits for every prediction slot, padded ones included, as d2l does; the default
 *     computes them only for real slots, which gives the same loss with about 30% less head work
 * @param microBatches run each device's share of a batch in this many parts, one after the other, adding up their
 *     gradients: the same step (up to float rounding) with a fraction of the activation memory
 * @param precision {@code fp32} (the reference) or {@code bf16} (bf16 matrix products under autocast, fp32 weights and
 *     Adam state); a config without it (written before it existed) means fp32
 * @param optimizer {@code adam} (torch.optim.Adam, d2l's) or {@code adamw} (torch.optim.AdamW: decoupled weight decay
 *     on the weight matrices and embeddings, not on biases and LayerNorm, as BERT's optimizer does); absent = adam
 * @param weightDecay AdamW's decay rate (BERT: 0.01); 0 with adam
 * @param schedule after the warmup, {@code constant} (d2l) or {@code linear}: down to 0 at the end of the run, as
 *     BERT's polynomial decay of power 1; absent = constant
 * @param clipGradNorm the gradients' global L2 norm is clipped to this before each update, as
 *     torch.nn.utils.clip_grad_norm_ (BERT: 1.0); 0 = no clipping (d2l; absent = 0)
 */
public record TrainConfig(
    int batchSize,
    int steps,
    float lr,
    int warmupSteps,
    float beta1,
    float beta2,
    float eps,
    long seed,
    int evalEvery,
    boolean skipEval,
    int checkpointEvery,
    boolean mlmAllSlots,
    int microBatches,
    String precision,
    String optimizer,
    float weightDecay,
    String schedule,
    float clipGradNorm) {

  public static final String ADAM = "adam";
  public static final String ADAMW = "adamw";
  public static final String CONSTANT = "constant";
  public static final String LINEAR = "linear";

  /**
   * Micro-batches per device. With batch 512, parts of 64 pairs keep each activation (64 x 64 x 128 floats, 2 MB) in
   * the CPU's cache and the head's chunk near its best size: `jbert bench` measured 314-342 pairs/s at 0.78-0.83 GB peak
   * RSS for 8, 288-361 pairs/s at 0.96-0.98 GB for 4, 287-291 pairs/s for 16 (all with 512-row head chunks), and
   * 273-286 pairs/s at 1.39-1.43 GB for the earlier default of 2 with 256-row chunks.
   */
  public static final int DEFAULT_MICRO_BATCHES = 8;

  public TrainConfig {
    require(batchSize >= 1, "--batch-size must be at least 1, got " + batchSize);
    require(steps >= 1, "--steps must be at least 1, got " + steps);
    require(lr > 0 && Float.isFinite(lr), "--lr must be a positive number, got " + lr);
    require(warmupSteps >= 0, "--warmup-steps must be 0 (no warmup) or positive, got " + warmupSteps);
    require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas must lie in [0, 1)");
    require(eps > 0, "Adam eps must be positive, got " + eps);
    require(evalEvery >= 0, "--eval-every must be 0 (never) or positive, got " + evalEvery);
    require(microBatches >= 1, "--micro-batches must be at least 1, got " + microBatches);
    require(checkpointEvery >= 0, "--checkpoint-every must be 0 (only at the end) or positive, got " + checkpointEvery);
    precision = Precision.parse(precision == null ? Precision.FP32.flag() : precision).flag();
    optimizer = optimizer == null ? ADAM : optimizer;
    schedule = schedule == null ? CONSTANT : schedule;
    require(optimizer.equals(ADAM) || optimizer.equals(ADAMW),
        "unknown --optimizer '" + optimizer + "'; use adam or adamw");
    require(schedule.equals(CONSTANT) || schedule.equals(LINEAR),
        "unknown learning-rate schedule '" + schedule + "'; use constant or linear");
    require(weightDecay >= 0 && Float.isFinite(weightDecay), "weight decay must be 0 or positive, got " + weightDecay);
    require(weightDecay == 0 || optimizer.equals(ADAMW),
        "weight decay " + weightDecay + " needs --optimizer adamw (Adam's L2 penalty is not BERT's decay)");
    require(clipGradNorm >= 0 && Float.isFinite(clipGradNorm),
        "--clip-grad-norm must be 0 (none) or positive, got " + clipGradNorm);
  }

  /** {@link #precision} as the enum. */
  public Precision precisionMode() {
    return Precision.parse(precision);
  }

  /** The reference run of spec section 8. */
  public static TrainConfig reference() {
    return builder().build();
  }

  /** A builder starting from the reference run's settings. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.batchSize = batchSize;
    b.steps = steps;
    b.lr = lr;
    b.warmupSteps = warmupSteps;
    b.beta1 = beta1;
    b.beta2 = beta2;
    b.eps = eps;
    b.seed = seed;
    b.evalEvery = evalEvery;
    b.skipEval = skipEval;
    b.checkpointEvery = checkpointEvery;
    b.mlmAllSlots = mlmAllSlots;
    b.microBatches = microBatches;
    b.precision = precision;
    b.optimizer = optimizer;
    b.weightDecay = weightDecay;
    b.schedule = schedule;
    b.clipGradNorm = clipGradNorm;
    return b;
  }

  /**
   * The learning rate of step {@code step} (0-based): linear warmup to {@code lr}, then constant, or with the linear
   * schedule falling by lr / (steps - warmup) a step, so that it would reach 0 at step {@link #steps} (Hugging Face's
   * get_linear_schedule_with_warmup).
   */
  public float lrAt(int step) {
    if (warmupSteps > 0 && step < warmupSteps) {
      return lr * (step + 1) / warmupSteps;
    }
    if (schedule.equals(CONSTANT) || steps <= warmupSteps) {
      return lr;
    }
    return lr * Math.max(0, steps - step) / (steps - warmupSteps);
  }

  /** Whether to evaluate after {@code step} (1-based) steps of a run of {@link #steps}. */
  public boolean evaluatesAfter(int step) {
    return !skipEval && (step == steps || (evalEvery > 0 && step % evalEvery == 0));
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new JbertException(message);
    }
  }

  /** Settings by name; every one starts at the reference run's value. */
  public static final class Builder {
    private int batchSize = 512;
    private int steps = 50;
    private float lr = 3e-3f;
    private int warmupSteps = 0;
    private float beta1 = 0.9f;
    private float beta2 = 0.999f;
    private float eps = 1e-8f;
    private long seed = 0;
    private int evalEvery = 0;
    private boolean skipEval = false;
    private int checkpointEvery = 0;
    private boolean mlmAllSlots = false;
    private int microBatches = DEFAULT_MICRO_BATCHES;
    private String precision = Precision.FP32.flag();
    private String optimizer = ADAM;
    private float weightDecay = 0;
    private String schedule = CONSTANT;
    private float clipGradNorm = 0;

    private Builder() {}

    /** {@code adam} or {@code adamw}. */
    public Builder optimizer(String v) {
      optimizer = v;
      return this;
    }

    public Builder weightDecay(float v) {
      weightDecay = v;
      return this;
    }

    /** {@code constant} or {@code linear} after the warmup. */
    public Builder schedule(String v) {
      schedule = v;
      return this;
    }

    /** 0 = none. */
    public Builder clipGradNorm(float v) {
      clipGradNorm = v;
      return this;
    }

    public Builder precision(Precision v) {
      precision = v.flag();
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder steps(int v) {
      steps = v;
      return this;
    }

    public Builder lr(float v) {
      lr = v;
      return this;
    }

    public Builder warmupSteps(int v) {
      warmupSteps = v;
      return this;
    }

    public Builder betas(float b1, float b2) {
      beta1 = b1;
      beta2 = b2;
      return this;
    }

    public Builder eps(float v) {
      eps = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** Evaluate every {@code v} steps and at the end; 0 = only at the end. */
    public Builder evalEvery(int v) {
      evalEvery = v;
      return this;
    }

    /** Never evaluate. */
    public Builder skipEval(boolean v) {
      skipEval = v;
      return this;
    }

    public Builder checkpointEvery(int v) {
      checkpointEvery = v;
      return this;
    }

    public Builder mlmAllSlots(boolean v) {
      mlmAllSlots = v;
      return this;
    }

    public Builder microBatches(int v) {
      microBatches = v;
      return this;
    }

    public TrainConfig build() {
      return new TrainConfig(batchSize, steps, lr, warmupSteps, beta1, beta2, eps, seed, evalEvery, skipEval,
          checkpointEvery, mlmAllSlots, microBatches, precision, optimizer, weightDecay, schedule, clipGradNorm);
    }
  }
}
