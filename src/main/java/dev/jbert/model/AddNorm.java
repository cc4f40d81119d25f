package dev.jbert.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/** d2l's AddNorm (post-LN residual): LN(dropout(Y) + X). Parameters {@code <name>.ln.weight|bias}. */
final class AddNorm {
  private final LayerNorm ln;
  private final Dropout dropout;

  AddNorm(Map<String, NDArray> params, String name, BertConfig cfg, int dropoutSite) {
    this.ln = new LayerNorm(params, name + ".ln");
    this.dropout = new Dropout(cfg.dropout(), dropoutSite);
  }

  /** x, y: (B, T, H) -> (B, T, H). */
  NDArray forward(NDArray x, NDArray y, Dropout.Keys keys) {
    return ln.forward(dropout.forward(y, keys).add(x));
  }
}
