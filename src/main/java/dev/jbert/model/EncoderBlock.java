package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** d2l's TransformerEncoderBlock (post-LN): Y = AddNorm1(X, MHA(X)); out = AddNorm2(Y, FFN(Y)). */
final class EncoderBlock {
  private final MultiHeadAttention attention;
  private final AddNorm addnorm1;
  private final PositionWiseFfn ffn;
  private final AddNorm addnorm2;

  EncoderBlock(Map<String, NDArray> params, String name, BertConfig cfg) {
    this.attention = new MultiHeadAttention(params, name + ".attention", cfg);
    this.addnorm1 = new AddNorm(params, name + ".addnorm1", cfg);
    this.ffn = new PositionWiseFfn(params, name + ".ffn");
    this.addnorm2 = new AddNorm(params, name + ".addnorm2", cfg);
  }

  /** (B, T, H) -> (B, T, H); keyBias (B, 1, 1, T). */
  NDArray forward(NDArray x, NDArray keyBias, boolean training) {
    NDArray y = addnorm1.forward(x, attention.forward(x, keyBias, training), training);
    return addnorm2.forward(y, ffn.forward(y), training);
  }
}
