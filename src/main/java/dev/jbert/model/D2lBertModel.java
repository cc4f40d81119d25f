package dev.jbert.model;

import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * d2l's BERTModel (spec section 7), {@code --arch d2l}, the whole network in this file, top to bottom: embeddings,
 * post-LN encoder blocks (attention, add and norm, feed-forward), then the three heads (masked LM, the {@code <cls>}
 * pooler, next sentence).
 *
 * <p>The parameters are plain tensors that require gradients, named as in PyTorch's {@code state_dict} of d2l's model.
 * Forward makes its activations in the caller's pointer scope (a training step, an evaluation batch) and holds no
 * mutable state, so it may run on several threads at once. The parameters are kept outside any scope until
 * {@link #close()}.
 *
 * <p>Under bf16 autocast the matrix products run in bf16 while the residual stream, LayerNorm, softmax and the losses
 * stay fp32: a bf16 product added to the fp32 residual promotes back to fp32, and the one LayerNorm whose input is a bf16
 * product (the MLM head's) and the attention softmax convert explicitly.
 */
public final class D2lBertModel implements BertModel {
  /** What a masked key adds to its attention score (d2l replaces the score by -1e6; after softmax both give 0). */
  static final double MASKED_SCORE = -1e6;

  /** torch.nn.LayerNorm's default. */
  static final double LAYER_NORM_EPS = 1e-5;

  private final BertConfig config;
  private final Map<String, Tensor> parameters;
  private final Tensor[] p; // the parameters in state_dict order, for the forward pass

  private D2lBertModel(BertConfig config, LinkedHashMap<String, Tensor> parameters) {
    this.config = config;
    this.parameters = Collections.unmodifiableMap(parameters);
    this.p = parameters.values().toArray(new Tensor[0]);
  }

  // ---- forward ----

  /**
   * The encoder output.
   *
   * @param tokens int64 (B, T)
   * @param segments int64 (B, T), 0 or 1
   * @param validLens float32 (B): keys at index >= validLens[b] are masked
   * @param keys the dropout masks' keys; null in inference
   * @return (B, T, H)
   */
  public Tensor encode(Tensor tokens, Tensor segments, Tensor validLens, Dropout.Keys keys) {
    long[] shape = Torch.shape(tokens);
    if (shape.length != 2 || !Arrays.equals(shape, Torch.shape(segments))) {
      throw new IllegalArgumentException("tokens and segments must both be (B, T), got " + Torch.shapeText(shape)
          + " and " + Torch.shapeText(Torch.shape(segments)));
    }
    long b = shape[0];
    long t = shape[1];
    if (t > config.maxPositions()) {
      throw new JbertException("input of " + t + " tokens is longer than the model's " + config.maxPositions()
          + " positions; shorten the input");
    }
    // token + segment + learned position embeddings; d2l has no embedding LayerNorm and no embedding dropout
    Tensor x = torch.embedding(param("encoder.token_embedding.weight"), tokens)
        .add(torch.embedding(param("encoder.segment_embedding.weight"), segments))
        .add(param("encoder.pos_embedding").narrow(1, 0, t)); // (B, T, H)
    Tensor keyBias = keyBias(validLens, b, t, x); // (B, 1, 1, T)
    for (int i = 0; i < config.layers(); i++) {
      x = block(i, x, keyBias, keys);
    }
    return x;
  }

  /** d2l's TransformerEncoderBlock, post-LN: Y = LN(dropout(MHA(X)) + X); out = LN(dropout(FFN(Y)) + Y). */
  private Tensor block(int i, Tensor x, Tensor keyBias, Dropout.Keys keys) {
    String blk = "encoder.blks." + i;
    // the block's three dropouts are sites 3i (attention weights), 3i + 1 and 3i + 2 (the two residual branches)
    Tensor attention = attention(blk + ".attention", x, keyBias, keys, 3 * i);
    Tensor y = layerNorm(blk + ".addnorm1.ln", dropout(attention, keys, 3 * i + 1).add(x));
    Tensor ffn = linear(blk + ".ffn.dense2", torch.relu(linear(blk + ".ffn.dense1", y)));
    return layerNorm(blk + ".addnorm2.ln", dropout(ffn, keys, 3 * i + 2).add(y));
  }

  /**
   * d2l's MultiHeadAttention: four Linear(H, H) with bias, heads split H into H / heads, scaled dot product
   * {@code Q K^T / sqrt(H / heads)}, masked keys get -1e6, softmax, dropout on the weights. (B, T, H) -> (B, T, H).
   */
  private Tensor attention(String name, Tensor x, Tensor keyBias, Dropout.Keys keys, int site) {
    Tensor q = splitHeads(linear(name + ".W_q", x)); // (B, heads, T, d)
    Tensor k = splitHeads(linear(name + ".W_k", x));
    Tensor v = splitHeads(linear(name + ".W_v", x));
    Tensor scores = q.matmul(k.transpose(2, 3)).div(Torch.scalar(Math.sqrt(config.headSize()))); // (B, heads, T, T)
    // softmax in fp32 whatever the product's precision; rows sum to 1 over the valid keys
    Tensor weights = torch.softmax(scores.add(keyBias), -1, new org.bytedeco.pytorch.ScalarTypeOptional(
        Torch.dtype(keyBias)));
    Tensor out = dropout(weights, keys, site).matmul(v); // (B, heads, T, d)
    long[] s = Torch.shape(out);
    return linear(name + ".W_o", out.transpose(1, 2).reshape(s[0], s[2], -1)); // (B, T, H)
  }

  /** (B, T, H) -> (B, heads, T, H / heads). */
  private Tensor splitHeads(Tensor x) {
    long[] s = Torch.shape(x);
    return x.reshape(s[0], s[1], config.heads(), -1).transpose(1, 2);
  }

  /** 0 where key index < validLens[b], -1e6 elsewhere, shape (B, 1, 1, T), in the dtype and on the device of x. */
  static Tensor keyBias(Tensor validLens, long b, long t, Tensor x) {
    if (validLens.numel() != b) {
      throw new IllegalArgumentException(
          "validLens must be (B) = (" + b + "), got " + Torch.shapeText(Torch.shape(validLens)));
    }
    Tensor positions = torch.arange(Torch.scalar(t)).to(x.device(), ScalarType.Float).reshape(1, 1, 1, t);
    Tensor valid = positions.lt(validLens.to(x.device(), ScalarType.Float).reshape(b, 1, 1, 1)); // (B, 1, 1, T)
    return valid.to(Torch.dtype(x)).sub(Torch.scalar(1)).mul(Torch.scalar(-MASKED_SCORE));
  }

  /** d2l's MaskLM MLP on rows already gathered: Linear -> ReLU -> LayerNorm -> Linear, (..., H) -> (..., V). */
  public Tensor mlmHead(Tensor rows) {
    return linear("mlm.mlp.3", layerNorm("mlm.mlp.2", torch.relu(linear("mlm.mlp.0", rows))));
  }

  /**
   * encoded (B, T, H) -> (B, H): d2l's {@code hidden} (Linear + Tanh) on {@code <cls>} (position 0), what BERT calls
   * the pooler and Hugging Face {@code pooler_output}.
   */
  public Tensor pooled(Tensor encoded) {
    return torch.tanh(linear("hidden.0", encoded.select(1, 0)));
  }

  /** encoded (B, T, H) -> NSP logits (B, 2): d2l's NextSentencePred, a Linear on {@link #pooled}. */
  public Tensor nspLogits(Tensor encoded) {
    return linear("nsp.output", pooled(encoded));
  }

  /** torch.nn.Linear: x W^T + b with W stored (out, in). */
  private Tensor linear(String name, Tensor x) {
    return Parameters.linear(x, param(name + ".weight"), param(name + ".bias"));
  }

  /** torch.nn.LayerNorm(H) with torch's default eps. */
  private Tensor layerNorm(String name, Tensor x) {
    return Parameters.layerNorm(x, param(name + ".weight"), param(name + ".bias"), LAYER_NORM_EPS);
  }

  private Tensor dropout(Tensor x, Dropout.Keys keys, int site) {
    return Dropout.apply(x, config.dropout(), site, keys);
  }

  private Tensor param(String name) {
    return Parameters.get(parameters, name);
  }

  // ---- parameters ----

  /**
   * The PyTorch {@code state_dict} layout of d2l's BERTModel for {@code cfg}: names and shapes in state_dict order (a
   * module's own parameters before its children's, so {@code encoder.pos_embedding} comes first).
   */
  public static LinkedHashMap<String, long[]> parameterShapes(BertConfig cfg) {
    LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
    for (ParamSpec spec : layout(cfg)) {
      shapes.put(spec.name, spec.shape);
    }
    return shapes;
  }

  /**
   * A new model with PyTorch's default initialisation (Linear weight and bias U(+-1/sqrt(fan_in)), LayerNorm 1 and 0,
   * embeddings N(0, 1)), drawn after {@code torch.manual_seed(seed)} in d2l's construction order, so the same values as
   * d2l's model in PyTorch with that seed.
   *
   * @param dtype Float or Double
   * @param device {@code cpu} or {@code cuda:N}
   */
  public static D2lBertModel create(BertConfig cfg, ScalarType dtype, String device, long seed) {
    requireArch(cfg);
    Parameters.checkDtype(dtype, "model");
    Torch.load();
    List<ParamSpec> layout = layout(cfg);
    List<ParamSpec> drawOrder = new ArrayList<>(layout);
    drawOrder.sort((a, b) -> Integer.compare(a.drawRank, b.drawRank)); // stable: ties keep state_dict order
    torch.manual_seed(seed);
    Map<String, Tensor> drawn = new HashMap<>();
    try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
      for (ParamSpec spec : drawOrder) {
        drawn.put(spec.name, Torch.keep(spec.init(dtype).to(Torch.device(device), dtype).set_requires_grad(true)));
      }
    }
    LinkedHashMap<String, Tensor> params = new LinkedHashMap<>();
    for (ParamSpec spec : layout) {
      params.put(spec.name, drawn.get(spec.name));
    }
    return new D2lBertModel(cfg, params);
  }

  /**
   * A model holding copies of {@code weights} on {@code device}. The names, shapes and dtypes must match
   * {@link #parameterShapes(BertConfig)}; all tensors share one dtype, Float or Double. The caller keeps ownership of
   * {@code weights}.
   */
  public static D2lBertModel fromParameters(BertConfig cfg, String device, Map<String, Tensor> weights) {
    requireArch(cfg);
    return new D2lBertModel(cfg, Parameters.copyOf(parameterShapes(cfg), weights, device));
  }

  @Override
  public BertConfig config() {
    return config;
  }

  /** The parameters, unmodifiable, in state_dict order. */
  public Map<String, Tensor> parameters() {
    return parameters;
  }

  /** A copy of every weight on {@code device}, requiring gradients (for data parallelism). Close it to free it. */
  @Override
  public D2lBertModel replicate(String device) {
    return fromParameters(config, device, parameters);
  }

  /** Frees the parameters (and their gradients). */
  @Override
  public void close() {
    for (Tensor t : p) {
      t.close();
    }
  }

  private static void requireArch(BertConfig cfg) {
    if (cfg.arch() != BertConfig.Arch.D2L) {
      throw new IllegalArgumentException("D2lBertModel builds arch d2l, not " + cfg.arch().flag());
    }
  }

  // ---- layout and initialisation ----

  private enum Init {
    NORMAL,
    UNIFORM,
    ONES,
    ZEROS
  }

  /** One parameter: name, shape, how it is drawn, and where it comes in d2l's construction (= draw) order. */
  private record ParamSpec(String name, long[] shape, Init init, double bound, int drawRank) {
    /** Drawn as PyTorch's modules draw them: nn.Embedding normal_, nn.Linear uniform_ (kaiming with a = sqrt(5)). */
    Tensor init(ScalarType dtype) {
      Tensor t = Torch.empty(dtype, shape);
      return switch (init) {
        case NORMAL -> t.normal_(0, 1, new org.bytedeco.pytorch.GeneratorOptional());
        case UNIFORM -> t.uniform_(-bound, bound, new org.bytedeco.pytorch.GeneratorOptional());
        case ONES -> t.fill_(Torch.scalar(1));
        case ZEROS -> t.zero_();
      };
    }
  }

  private static final class Layout {
    final List<ParamSpec> specs = new ArrayList<>();
    int rank;

    void embedding(String name, long rows, long cols) {
      specs.add(new ParamSpec(name, new long[] {rows, cols}, Init.NORMAL, 0, rank++));
    }

    void linear(String name, long in, long out) {
      double bound = 1.0 / Math.sqrt(in);
      specs.add(new ParamSpec(name + ".weight", new long[] {out, in}, Init.UNIFORM, bound, rank++));
      specs.add(new ParamSpec(name + ".bias", new long[] {out}, Init.UNIFORM, bound, rank++));
    }

    void layerNorm(String name, long size) {
      specs.add(new ParamSpec(name + ".weight", new long[] {size}, Init.ONES, 0, rank++));
      specs.add(new ParamSpec(name + ".bias", new long[] {size}, Init.ZEROS, 0, rank++));
    }
  }

  private static List<ParamSpec> layout(BertConfig cfg) {
    long h = cfg.hidden();
    Layout l = new Layout();
    // encoder: d2l constructs token_embedding, segment_embedding, blks, then pos_embedding; the state_dict lists the
    // encoder's own parameter pos_embedding before its children
    int posRank = 2 + cfg.layers() * 16;
    l.specs.add(new ParamSpec("encoder.pos_embedding", new long[] {1, cfg.maxPositions(), h}, Init.NORMAL, 0, posRank));
    l.embedding("encoder.token_embedding.weight", cfg.vocabSize(), h);
    l.embedding("encoder.segment_embedding.weight", 2, h);
    for (int i = 0; i < cfg.layers(); i++) {
      String blk = "encoder.blks." + i;
      for (String w : List.of("W_q", "W_k", "W_v", "W_o")) {
        l.linear(blk + ".attention." + w, h, h);
      }
      l.layerNorm(blk + ".addnorm1.ln", h);
      l.linear(blk + ".ffn.dense1", h, cfg.ffnHidden());
      l.linear(blk + ".ffn.dense2", cfg.ffnHidden(), h);
      l.layerNorm(blk + ".addnorm2.ln", h);
    }
    if (l.rank != posRank) {
      throw new IllegalStateException("draw order bookkeeping is off: " + l.rank + " != " + posRank);
    }
    l.rank++;
    l.linear("hidden.0", h, h);
    l.linear("mlm.mlp.0", h, h);
    l.layerNorm("mlm.mlp.2", h);
    l.linear("mlm.mlp.3", h, cfg.vocabSize());
    l.linear("nsp.output", h, 2);
    return l.specs;
  }
}
