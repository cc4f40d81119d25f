package dev.jbert.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.jbert.JbertException;
import dev.jbert.Json;

/**
 * The architecture of d2l's BERT (spec section 7): vocabulary size, hidden size H, FFN size F, attention heads, encoder
 * blocks, dropout and the length of the positional-embedding table.
 */
public record BertConfig(
    int vocabSize, int hidden, int ffnHidden, int heads, int layers, float dropout, int maxPositions) {

  /** Length of d2l's positional-embedding table, which every preset keeps. */
  public static final int POSITIONS = 1000;

  public BertConfig {
    positive("vocab_size", vocabSize);
    positive("hidden", hidden);
    positive("ffn_hidden", ffnHidden);
    positive("heads", heads);
    positive("layers", layers);
    positive("max_positions", maxPositions);
    if (hidden % heads != 0) {
      throw new JbertException(
          "model config: hidden (" + hidden + ") is not divisible by heads (" + heads
              + "); choose hidden = heads x head size");
    }
    if (!(dropout >= 0f && dropout < 1f)) {
      throw new JbertException("model config: dropout " + dropout + " is outside [0, 1); use e.g. 0.1");
    }
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new JbertException("model config: " + name + " must be positive, got " + value);
    }
  }

  /** d2l's configuration: H 128, F 256, 2 heads, 2 blocks, dropout 0.2, 1000 positions. */
  public static BertConfig d2l(int vocabSize) {
    return new BertConfig(vocabSize, 128, 256, 2, 2, 0.2f, POSITIONS);
  }

  /** BERT-base sizes (768, 3072, 12 heads, 12 blocks, dropout 0.1) with d2l's 1000-position table. */
  public static BertConfig base(int vocabSize) {
    return new BertConfig(vocabSize, 768, 3072, 12, 12, 0.1f, POSITIONS);
  }

  /** BERT-large sizes (1024, 4096, 16 heads, 24 blocks, dropout 0.1) with d2l's 1000-position table. */
  public static BertConfig large(int vocabSize) {
    return new BertConfig(vocabSize, 1024, 4096, 16, 24, 0.1f, POSITIONS);
  }

  /** The preset called {@code name}: "d2l", "base" or "large". */
  public static BertConfig preset(String name, int vocabSize) {
    return switch (name) {
      case "d2l" -> d2l(vocabSize);
      case "base" -> base(vocabSize);
      case "large" -> large(vocabSize);
      default -> throw new JbertException(
          "unknown model preset '" + name + "'; use one of d2l, base, large");
    };
  }

  /** Refuses a max_len longer than the positional table: one line naming the limit. */
  public void checkFits(int maxLen) {
    if (maxLen > maxPositions) {
      throw new JbertException("--max-len " + maxLen + " is more than the model's " + maxPositions
          + " positions: pass --max-len " + maxPositions + " or less (d2l uses 64)");
    }
  }

  /** Size of one attention head, H / heads. */
  public int headSize() {
    return hidden / heads;
  }

  /** This config as a JSON object with sorted snake_case keys. */
  public String toJson() {
    try {
      return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(this) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses {@link #toJson()} output; every key is required and unknown keys are rejected. */
  public static BertConfig fromJson(String json) {
    return Json.readStrict(json, BertConfig.class, "model config");
  }
}
