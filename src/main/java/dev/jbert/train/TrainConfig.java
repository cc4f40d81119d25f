package dev.jbert.train;

import dev.jbert.JbertException;

/**
 * Hyperparameters of a pretraining run. {@link #reference()} is the d2l reference run (spec section 8): batch 512, 50
 * Adam steps at lr 3e-3 with torch's default betas and eps, no weight decay, no schedule.
 *
 * @param batchSize sentence pairs per optimiser step, split across the devices
 * @param steps total optimiser steps of the run (a resumed run continues up to this number)
 * @param lr Adam learning rate, constant
 * @param beta1 Adam first-moment decay
 * @param beta2 Adam second-moment decay
 * @param eps Adam epsilon, added to sqrt(v_hat) as torch does
 * @param seed seeds the weights, the batch order and the dropout masks (one stream per step, so a resumed run is exact)
 * @param evalEvery evaluate on wiki.valid.tokens every this many steps; 0 = only at the end
 * @param checkpointEvery write a checkpoint every this many steps; 0 = only at the end (and on Ctrl-C)
 * @param mlmAllSlots compute MLM logits for every prediction slot, padded ones included, as d2l does; the default
 *     computes them only for real slots, which gives the same loss with about 30% less head work
 * @param microBatches run each device's share of a batch in this many parts, one after the other, adding up their
 *     gradients: the same step (up to float rounding) with a fraction of the activation memory
 */
public record TrainConfig(
    int batchSize,
    int steps,
    float lr,
    float beta1,
    float beta2,
    float eps,
    long seed,
    int evalEvery,
    int checkpointEvery,
    boolean mlmAllSlots,
    int microBatches) {

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
    require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas must lie in [0, 1)");
    require(eps > 0, "Adam eps must be positive, got " + eps);
    require(evalEvery >= 0, "--eval-every must be 0 (only at the end) or positive, got " + evalEvery);
    require(microBatches >= 1, "--micro-batches must be at least 1, got " + microBatches);
    require(checkpointEvery >= 0, "--checkpoint-every must be 0 (only at the end) or positive, got " + checkpointEvery);
  }

  /** The reference run of spec section 8. */
  public static TrainConfig reference() {
    return new TrainConfig(512, 50, 3e-3f, 0.9f, 0.999f, 1e-8f, 0, 0, 0, false, DEFAULT_MICRO_BATCHES);
  }

  public TrainConfig withSteps(int newSteps) {
    return new TrainConfig(
        batchSize, newSteps, lr, beta1, beta2, eps, seed, evalEvery, checkpointEvery, mlmAllSlots, microBatches);
  }

  /** The learning rate at a step: constant in the reference run, kept a function so a schedule has one place to go. */
  public float lrAt(int step) {
    return lr;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new JbertException(message);
    }
  }
}
