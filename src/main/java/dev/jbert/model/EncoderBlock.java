package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** d2l's TransformerEncoderBlock (post-LN): Y = AddNorm1(X, MHA(X)); out = AddNorm2(Y, FFN(Y)). */
final class EncoderBlock {
  private final MultiHeadAttention attention;
  private final AddNorm addnorm1;
  private final PositionWiseFfn ffn;
  private final AddNorm addnorm2;

  /** @param index the block's index: its three dropouts are sites 3 index .. 3 index + 2 */
  EncoderBlock(Map<String, NDArray> params, String name, BertConfig cfg, int index) {
    this.attention = new MultiHeadAttention(params, name + ".attention", cfg, 3 * index);
    this.addnorm1 = new AddNorm(params, name + ".addnorm1", cfg, 3 * index + 1);
    this.ffn = new PositionWiseFfn(params, name + ".ffn");
    this.addnorm2 = new AddNorm(params, name + ".addnorm2", cfg, 3 * index + 2);
  }

  /** (B, T, H) -> (B, T, H); keyBias (B, 1, 1, T). */
  NDArray forward(NDArray x, NDArray keyBias, Dropout.Keys keys) {
    NDArray y = addnorm1.forward(x, attention.forward(x, keyBias, keys), keys);
    return addnorm2.forward(y, ffn.forward(y), keys);
  }
}
