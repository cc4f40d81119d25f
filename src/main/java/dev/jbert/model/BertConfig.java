package dev.jbert.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jbert.JbertException;
import dev.jbert.Json;

/**
 * The architecture of a BERT: which network ({@link Arch}), vocabulary size, hidden size H, FFN size F, attention
 * heads, encoder blocks, dropout and the length of the positional-embedding table.
 *
 * @param arch d2l's network (spec section 7) or BERT's own; a config written before there was a choice is d2l's, and
 *     d2l's is written without the key, so its files are what they were
 */
public record BertConfig(
    int vocabSize, int hidden, int ffnHidden, int heads, int layers, float dropout, int maxPositions,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = D2lFilter.class) Arch arch) {

  /** Which network: d2l's BERTModel or Google's and Hugging Face's BertForPreTraining. */
  public enum Arch {
    /** d2l's: no embedding LayerNorm, ReLU feed-forward, untied MLM decoder, LayerNorm eps 1e-5. */
    D2L,
    /** BERT's: embedding LayerNorm and dropout, GELU, decoder tied to the word embeddings, LayerNorm eps 1e-12. */
    BERT;

    @JsonValue
    public String flag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    @JsonCreator
    public static Arch parse(String s) {
      for (Arch a : values()) {
        if (a.flag().equals(s)) {
          return a;
        }
      }
      throw new JbertException("unknown arch '" + s + "'; use d2l or bert");
    }
  }

  /** Leaves {@code arch} out of the JSON when it is d2l's (Jackson calls equals with the value). */
  static final class D2lFilter {
    @Override
    public boolean equals(Object value) {
      return value == null || value == Arch.D2L;
    }

    @Override
    public int hashCode() {
      return 0;
    }
  }

  /** Length of d2l's positional-embedding table, which every d2l-architecture preset keeps. */
  public static final int POSITIONS = 1000;

  /** BERT's {@code max_position_embeddings}, which every bert-architecture preset has. */
  public static final int BERT_POSITIONS = 512;

  /** A d2l-architecture config. */
  public BertConfig(int vocabSize, int hidden, int ffnHidden, int heads, int layers, float dropout, int maxPositions) {
    this(vocabSize, hidden, ffnHidden, heads, layers, dropout, maxPositions, Arch.D2L);
  }

  @JsonCreator
  public BertConfig {
    arch = arch == null ? Arch.D2L : arch;
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

  /**
   * BERT's own architecture at Google's published sizes (Turc et al. 2019's bert-tiny to bert-medium, and
   * bert-base/large): F = 4H, heads = H / 64, dropout 0.1, 512 positions.
   */
  public static BertConfig bert(int vocabSize, int layers, int hidden) {
    return new BertConfig(vocabSize, hidden, 4 * hidden, hidden / 64, layers, 0.1f, BERT_POSITIONS, Arch.BERT);
  }

  /** The preset called {@code name}: "d2l", "base", "large", or "bert-tiny" ... "bert-large". */
  public static BertConfig preset(String name, int vocabSize) {
    return switch (name) {
      case "d2l" -> d2l(vocabSize);
      case "base" -> base(vocabSize);
      case "large" -> large(vocabSize);
      case "bert-tiny" -> bert(vocabSize, 2, 128);
      case "bert-mini" -> bert(vocabSize, 4, 256);
      case "bert-small" -> bert(vocabSize, 4, 512);
      case "bert-medium" -> bert(vocabSize, 8, 512);
      case "bert-base" -> bert(vocabSize, 12, 768);
      case "bert-large" -> bert(vocabSize, 24, 1024);
      default -> throw new JbertException("unknown model preset '" + name
          + "'; use one of d2l, base, large, bert-tiny, bert-mini, bert-small, bert-medium, bert-base, bert-large");
    };
  }

  /** This config with another architecture. */
  public BertConfig withArch(Arch a) {
    return new BertConfig(vocabSize, hidden, ffnHidden, heads, layers, dropout, maxPositions, a);
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

  /**
   * Parses {@link #toJson()} output; every key is required but {@code arch} (absent: d2l, as in every config written
   * before there was a choice) and unknown keys are rejected.
   */
  public static BertConfig fromJson(String json) {
    String withArch = json;
    try {
      if (Json.mapper().readTree(json) instanceof ObjectNode o && !o.has("arch")) {
        withArch = o.put("arch", Arch.D2L.flag()).toString();
      }
    } catch (JsonProcessingException e) {
      // not JSON: readStrict says so
    }
    return Json.readStrict(withArch, BertConfig.class, "model config");
  }
}
