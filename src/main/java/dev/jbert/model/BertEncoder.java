package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.jbert.JbertException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * d2l's BERTEncoder: token + segment + trained positional embeddings (no embedding LayerNorm, no embedding dropout),
 * then {@code layers} post-LN encoder blocks, with no final LayerNorm.
 */
final class BertEncoder {
  /** What a masked key adds to its attention score (d2l replaces the score by -1e6; after softmax both give 0). */
  static final double MASKED_SCORE = -1e6;

  private final NDArray tokenEmbedding; // (V, H)
  private final NDArray segmentEmbedding; // (2, H)
  private final NDArray posEmbedding; // (1, maxPositions, H)
  private final List<EncoderBlock> blks = new ArrayList<>();
  private final int maxPositions;

  BertEncoder(Map<String, NDArray> params, String name, BertConfig cfg) {
    this.tokenEmbedding = Params.require(params, name + ".token_embedding.weight");
    this.segmentEmbedding = Params.require(params, name + ".segment_embedding.weight");
    this.posEmbedding = Params.require(params, name + ".pos_embedding");
    for (int i = 0; i < cfg.layers(); i++) {
      blks.add(new EncoderBlock(params, name + ".blks." + i, cfg, i));
    }
    this.maxPositions = cfg.maxPositions();
  }

  /**
   * @param tokens int64 (B, T)
   * @param segments int64 (B, T), 0 or 1
   * @param validLens float32 (B): keys at index >= validLens[b] are masked
   * @param keys the dropout masks' keys; null in inference
   * @return (B, T, H), in the manager of {@code tokens}
   */
  NDArray forward(NDArray tokens, NDArray segments, NDArray validLens, Dropout.Keys keys) {
    if (tokens.getShape().dimension() != 2 || !tokens.getShape().equals(segments.getShape())) {
      throw new IllegalArgumentException(
          "tokens and segments must both be (B, T), got " + tokens.getShape() + " and " + segments.getShape());
    }
    long b = tokens.getShape().get(0);
    long t = tokens.getShape().get(1);
    if (t > maxPositions) {
      throw new JbertException(
          "input of " + t + " tokens is longer than the model's " + maxPositions
              + " positions; shorten the input");
    }
    NDManager m = tokens.getManager();
    NDArray x = Embedding.embedding(tokens, tokenEmbedding, SparseFormat.DENSE).singletonOrThrow(); // (B, T, H)
    x = x.add(Embedding.embedding(segments, segmentEmbedding, SparseFormat.DENSE).singletonOrThrow());
    // the slice of a parameter is created straight in the activation manager
    NDArray pos = posEmbedding.get(m, new NDIndex(":, :{}, :", t)); // (1, T, H)
    x = x.add(pos); // (B, T, H)
    NDArray keyBias = keyBias(m, validLens, b, t, x.getDataType()); // (B, 1, 1, T)
    for (EncoderBlock blk : blks) {
      x = blk.forward(x, keyBias, keys);
    }
    return x;
  }

  /** 0 where key index < validLens[b], -1e6 elsewhere, shape (B, 1, 1, T), in {@code m}. */
  static NDArray keyBias(NDManager m, NDArray validLens, long b, long t, DataType dtype) {
    if (validLens.getShape().size() != b) {
      throw new IllegalArgumentException("validLens must be (B) = (" + b + "), got " + validLens.getShape());
    }
    NDArray keys = m.arange(0f, (float) t, 1f, DataType.FLOAT32).reshape(1, 1, 1, t); // (1, 1, 1, T)
    NDArray valid = keys.lt(validLens.reshape(b, 1, 1, 1)); // (B, 1, 1, T) boolean
    return valid.toType(dtype, false).sub(1).mul(-MASKED_SCORE);
  }
}
