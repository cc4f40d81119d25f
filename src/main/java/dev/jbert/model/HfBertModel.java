package dev.jbert.model;

import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * BERT's own network ({@code --arch bert}), as Hugging Face's {@code BertForPreTraining} computes it
 * ({@code modeling_bert.py}), the whole of it in this file, top to bottom: embeddings (word + position + token type,
 * LayerNorm, dropout), post-LN encoder layers (self-attention with its output dense, dropout and LayerNorm residual;
 * intermediate dense + GELU; output dense, dropout and LayerNorm residual), the pooler (dense + tanh on {@code [CLS]}),
 * the MLM head (transform dense + GELU + LayerNorm, then a decoder tied to the word embeddings plus its own bias) and
 * the NSP classifier on the pooled output.
 *
 * <p>The parameters carry Hugging Face's state_dict names, so an export is a rename of nothing: only the tied decoder
 * weight (here the word embeddings themselves, one tensor) is written twice, and the NSP rows are swapped, because
 * jbert's NSP label 1 means "is next" and Hugging Face's 0 does (the export).
 *
 * <p>Precision under bf16 autocast follows {@link D2lBertModel}: LayerNorm and softmax in fp32, products in bf16.
 */
public final class HfBertModel implements BertModel {
  /** BertConfig.layer_norm_eps. */
  public static final double LAYER_NORM_EPS = 1e-12;

  /** Hugging Face's NSP classifier: the weight row of index 0 is "is next" there, index 1 here. */
  public static final String NSP = "cls.seq_relationship";

  /** The MLM decoder's weight, the same tensor as the word embeddings (tied, {@code tie_word_embeddings}). */
  public static final String WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight";

  /** BertConfig.initializer_range: every weight is drawn from normal(0, 0.02). */
  static final double INIT_STD = 0.02;

  private final BertConfig config;
  private final Map<String, Tensor> parameters;

  private HfBertModel(BertConfig config, LinkedHashMap<String, Tensor> parameters) {
    this.config = config;
    this.parameters = Collections.unmodifiableMap(parameters);
  }

  // ---- forward ----

  @Override
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
    Tensor x = embeddings(tokens, segments, t, keys); // (B, T, H)
    // BertModel's extended attention mask adds a large negative to padded keys; after softmax it is 0 either way
    Tensor keyBias = D2lBertModel.keyBias(validLens, b, t, x); // (B, 1, 1, T)
    for (int i = 0; i < config.layers(); i++) {
      x = layer(i, x, keyBias, keys);
    }
    return x;
  }

  /** BertEmbeddings: word + position + token type, LayerNorm, dropout (site 3L, after the layers' 3 each). */
  private Tensor embeddings(Tensor tokens, Tensor segments, long t, Dropout.Keys keys) {
    String e = "bert.embeddings.";
    Tensor sum = torch.embedding(param(WORD_EMBEDDINGS), tokens)
        .add(torch.embedding(param(e + "token_type_embeddings.weight"), segments))
        .add(param(e + "position_embeddings.weight").narrow(0, 0, t)); // (B, T, H) + (T, H)
    return dropout(layerNorm(e + "LayerNorm", sum), keys, 3 * config.layers());
  }

  /**
   * BertLayer, post-LN: a = LN(dropout(dense(attention(x))) + x); out = LN(dropout(dense(GELU(dense(a)))) + a). Its
   * dropouts are sites 3i (attention probabilities), 3i + 1 and 3i + 2 (the two residual branches).
   */
  private Tensor layer(int i, Tensor x, Tensor keyBias, Dropout.Keys keys) {
    String l = "bert.encoder.layer." + i + ".";
    Tensor context = selfAttention(l + "attention.self.", x, keyBias, keys, 3 * i);
    Tensor a = layerNorm(l + "attention.output.LayerNorm",
        dropout(linear(l + "attention.output.dense", context), keys, 3 * i + 1).add(x));
    Tensor intermediate = gelu(linear(l + "intermediate.dense", a));
    return layerNorm(l + "output.LayerNorm", dropout(linear(l + "output.dense", intermediate), keys, 3 * i + 2).add(a));
  }

  /**
   * BertSelfAttention: query, key, value Linear(H, H) with biases, heads of H / heads, softmax(Q K^T / sqrt(d) + mask)
   * in fp32, dropout on the probabilities, the heads joined again. (B, T, H) -> (B, T, H).
   */
  private Tensor selfAttention(String name, Tensor x, Tensor keyBias, Dropout.Keys keys, int site) {
    Tensor q = splitHeads(linear(name + "query", x)); // (B, heads, T, d)
    Tensor k = splitHeads(linear(name + "key", x));
    Tensor v = splitHeads(linear(name + "value", x));
    Tensor scores = q.matmul(k.transpose(2, 3)).div(Torch.scalar(Math.sqrt(config.headSize()))); // (B, heads, T, T)
    Tensor probs = torch.softmax(scores.add(keyBias), -1, new ScalarTypeOptional(Torch.dtype(keyBias)));
    Tensor context = dropout(probs, keys, site).matmul(v); // (B, heads, T, d)
    long[] s = Torch.shape(context);
    return context.transpose(1, 2).reshape(s[0], s[2], -1); // (B, T, H)
  }

  /** (B, T, H) -> (B, heads, T, H / heads). */
  private Tensor splitHeads(Tensor x) {
    long[] s = Torch.shape(x);
    return x.reshape(s[0], s[1], config.heads(), -1).transpose(1, 2);
  }

  /**
   * BertLMPredictionHead on gathered rows: transform (dense, GELU, LayerNorm), then the decoder, whose weight is the
   * word embeddings, plus {@code cls.predictions.bias}. (..., H) -> (..., V).
   */
  @Override
  public Tensor mlmHead(Tensor rows) {
    String p = "cls.predictions.";
    Tensor h = layerNorm(p + "transform.LayerNorm", gelu(linear(p + "transform.dense", rows)));
    return Parameters.linear(h, param(WORD_EMBEDDINGS), param(p + "bias"));
  }

  /** BertPooler: dense + tanh on the first token ({@code [CLS]}). (B, T, H) -> (B, H). */
  @Override
  public Tensor pooled(Tensor encoded) {
    return torch.tanh(linear("bert.pooler.dense", encoded.select(1, 0)));
  }

  /** BertOnlyNSPHead's Linear(H, 2) on the pooled output; index 1 = is next, as jbert's labels. */
  @Override
  public Tensor nspLogits(Tensor encoded) {
    return linear(NSP, pooled(encoded));
  }

  /** hidden_act "gelu": the exact, erf form (torch.nn.functional.gelu's default). */
  private static Tensor gelu(Tensor x) {
    return torch.gelu(x);
  }

  private Tensor linear(String name, Tensor x) {
    return Parameters.linear(x, param(name + ".weight"), param(name + ".bias"));
  }

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
   * BertForPreTraining's state_dict for {@code cfg}, names and shapes in its order, without the tied
   * {@code cls.predictions.decoder.weight} and {@code .bias} (the word embeddings and {@code cls.predictions.bias}).
   */
  public static LinkedHashMap<String, long[]> parameterShapes(BertConfig cfg) {
    long h = cfg.hidden();
    long f = cfg.ffnHidden();
    LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
    s.put(WORD_EMBEDDINGS, new long[] {cfg.vocabSize(), h});
    s.put("bert.embeddings.position_embeddings.weight", new long[] {cfg.maxPositions(), h});
    s.put("bert.embeddings.token_type_embeddings.weight", new long[] {2, h});
    layerNorm(s, "bert.embeddings.LayerNorm", h);
    for (int i = 0; i < cfg.layers(); i++) {
      String l = "bert.encoder.layer." + i + ".";
      for (String w : List.of("query", "key", "value")) {
        linear(s, l + "attention.self." + w, h, h);
      }
      linear(s, l + "attention.output.dense", h, h);
      layerNorm(s, l + "attention.output.LayerNorm", h);
      linear(s, l + "intermediate.dense", h, f);
      linear(s, l + "output.dense", f, h);
      layerNorm(s, l + "output.LayerNorm", h);
    }
    linear(s, "bert.pooler.dense", h, h);
    s.put("cls.predictions.bias", new long[] {cfg.vocabSize()});
    linear(s, "cls.predictions.transform.dense", h, h);
    layerNorm(s, "cls.predictions.transform.LayerNorm", h);
    linear(s, NSP, h, 2);
    return s;
  }

  private static void linear(Map<String, long[]> s, String name, long in, long out) {
    s.put(name + ".weight", new long[] {out, in});
    s.put(name + ".bias", new long[] {out});
  }

  private static void layerNorm(Map<String, long[]> s, String name, long size) {
    s.put(name + ".weight", new long[] {size});
    s.put(name + ".bias", new long[] {size});
  }

  /**
   * A new model initialised as BertPreTrainedModel._init_weights does: every Linear weight and embedding from
   * normal(0, 0.02), biases 0, LayerNorm weight 1 and bias 0; drawn in state_dict order after
   * {@code torch.manual_seed(seed)}.
   *
   * @param dtype Float or Double
   */
  public static HfBertModel create(BertConfig cfg, ScalarType dtype, String device, long seed) {
    requireArch(cfg);
    Parameters.checkDtype(dtype, "model");
    Torch.load();
    torch.manual_seed(seed);
    LinkedHashMap<String, Tensor> params = new LinkedHashMap<>();
    try (PointerScope scope = new PointerScope()) {
      parameterShapes(cfg).forEach((name, shape) -> params.put(name,
          Torch.keep(initialised(name, shape, dtype).to(Torch.device(device), dtype).set_requires_grad(true))));
    }
    return new HfBertModel(cfg, params);
  }

  /**
   * The parameters {@code names} of {@code cfg}, newly initialised as {@link #create} does (seed 0, so that two loads
   * agree), on {@code device} in the caller's scope: the heads a checkpoint of the encoder alone lacks.
   */
  public static Map<String, Tensor> initialised(BertConfig cfg, List<String> names, String device) {
    Map<String, long[]> shapes = parameterShapes(cfg);
    Torch.load();
    torch.manual_seed(0);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (String name : names) {
      out.put(name, Torch.to(initialised(name, shapes.get(name), ScalarType.Float), device));
    }
    return out;
  }

  /** BertPreTrainedModel._init_weights for one parameter: biases 0, LayerNorm weights 1, the rest normal(0, 0.02). */
  private static Tensor initialised(String name, long[] shape, ScalarType dtype) {
    Tensor t = Torch.empty(dtype, shape);
    if (name.endsWith(".bias")) {
      t.zero_();
    } else if (name.contains("LayerNorm")) {
      t.fill_(Torch.scalar(1));
    } else {
      t.normal_(0, INIT_STD, new org.bytedeco.pytorch.GeneratorOptional());
    }
    return t;
  }

  /** A model holding copies of {@code weights} (named as {@link #parameterShapes}) on {@code device}. */
  public static HfBertModel fromParameters(BertConfig cfg, String device, Map<String, Tensor> weights) {
    requireArch(cfg);
    return new HfBertModel(cfg, Parameters.copyOf(parameterShapes(cfg), weights, device));
  }

  private static void requireArch(BertConfig cfg) {
    if (cfg.arch() != BertConfig.Arch.BERT) {
      throw new IllegalArgumentException("HfBertModel builds arch bert, not " + cfg.arch().flag());
    }
  }

  @Override
  public BertConfig config() {
    return config;
  }

  @Override
  public Map<String, Tensor> parameters() {
    return parameters;
  }

  @Override
  public HfBertModel replicate(String device) {
    return fromParameters(config, device, parameters);
  }

  @Override
  public void close() {
    parameters.values().forEach(Tensor::close);
  }
}
