package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * d2l's MultiHeadAttention: four Linear(H, H) with bias, heads split H into H / heads, scaled dot product
 * {@code Q K^T / sqrt(H / heads)}, masked keys get -1e6 (as an additive bias), softmax, dropout on the weights.
 */
final class MultiHeadAttention {
  private final Linear wq;
  private final Linear wk;
  private final Linear wv;
  private final Linear wo;
  private final Dropout dropout;
  private final int heads;
  private final double scale;

  MultiHeadAttention(Map<String, NDArray> params, String name, BertConfig cfg, int dropoutSite) {
    this.wq = new Linear(params, name + ".W_q");
    this.wk = new Linear(params, name + ".W_k");
    this.wv = new Linear(params, name + ".W_v");
    this.wo = new Linear(params, name + ".W_o");
    this.dropout = new Dropout(cfg.dropout(), dropoutSite);
    this.heads = cfg.heads();
    this.scale = Math.sqrt(cfg.headSize());
  }

  /**
   * @param x (B, T, H)
   * @param keyBias (B, 1, 1, T): 0 for keys below the valid length, -1e6 for the others
   * @return (B, T, H)
   */
  NDArray forward(NDArray x, NDArray keyBias, Dropout.Keys keys) {
    NDArray q = splitHeads(wq.forward(x)); // (B, heads, T, d)
    NDArray k = splitHeads(wk.forward(x)); // (B, heads, T, d)
    NDArray v = splitHeads(wv.forward(x)); // (B, heads, T, d)
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(Scalars.like(q, scale)); // (B, heads, T, T)
    NDArray weights = scores.add(keyBias).softmax(-1); // (B, heads, T, T), rows sum to 1 over valid keys
    NDArray out = dropout.forward(weights, keys).matMul(v); // (B, heads, T, d)
    return wo.forward(mergeHeads(out)); // (B, T, H)
  }

  /** (B, T, H) -> (B, heads, T, H / heads). */
  private NDArray splitHeads(NDArray x) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    return x.reshape(b, t, heads, -1).transpose(0, 2, 1, 3);
  }

  /** (B, heads, T, d) -> (B, T, heads * d). */
  private static NDArray mergeHeads(NDArray x) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(2);
    return x.transpose(0, 2, 1, 3).reshape(b, t, -1);
  }
}
