package dev.jbert.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.jbert.JbertException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * d2l's BERTModel (spec section 7), written functionally: the parameters are plain NDArrays that require gradients, named
 * as in PyTorch's {@code state_dict} of d2l's model, and the layers below read them by name.
 *
 * <p>Every activation lands in the manager of the input ({@code tokens} or {@code encoded}), never in the parameter
 * manager, so a caller that runs a step inside a sub-manager and closes it leaks nothing. Forward holds no mutable
 * state and may run on several threads at once.
 */
public final class BertModel implements AutoCloseable {
  private final BertConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> parameters;
  private final BertEncoder encoder;
  private final Linear hidden;
  private final MaskLm mlm;
  private final NextSentencePred nsp;

  private BertModel(BertConfig config, NDManager manager, LinkedHashMap<String, NDArray> parameters) {
    this.config = config;
    this.manager = manager;
    this.parameters = Collections.unmodifiableMap(parameters);
    this.encoder = new BertEncoder(parameters, "encoder", config);
    this.hidden = new Linear(parameters, "hidden.0");
    this.mlm = new MaskLm(parameters, "mlm");
    this.nsp = new NextSentencePred(parameters, "nsp");
  }

  /**
   * The PyTorch {@code state_dict} layout of d2l's BERTModel for {@code cfg}: names and shapes in state_dict order (a
   * module's own parameters before its children's, so {@code encoder.pos_embedding} comes first).
   */
  public static LinkedHashMap<String, Shape> parameterShapes(BertConfig cfg) {
    LinkedHashMap<String, Shape> shapes = new LinkedHashMap<>();
    for (ParamSpec spec : layout(cfg)) {
      shapes.put(spec.name, spec.shape);
    }
    return shapes;
  }

  /**
   * A new model with PyTorch's default initialisation (Linear weight and bias U(+-1/sqrt(fan_in)), LayerNorm 1 and 0,
   * embeddings N(0, 1)), drawn after seeding the engine with {@code seed}, in d2l's construction order.
   *
   * @param dtype FLOAT32 or FLOAT64
   */
  public static BertModel create(BertConfig cfg, NDManager parent, DataType dtype, long seed) {
    checkDtype(dtype, "model");
    List<ParamSpec> layout = layout(cfg);
    List<ParamSpec> drawOrder = new ArrayList<>(layout);
    drawOrder.sort((a, b) -> Integer.compare(a.drawRank, b.drawRank)); // stable: ties keep state_dict order
    NDManager manager = parent.newSubManager();
    try {
      parent.getEngine().setRandomSeed((int) seed == seed ? (int) seed : Long.hashCode(seed));
      Map<String, NDArray> drawn = new HashMap<>();
      for (ParamSpec spec : drawOrder) {
        drawn.put(spec.name, spec.init(manager, dtype));
      }
      LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();
      for (ParamSpec spec : layout) {
        NDArray array = drawn.get(spec.name);
        array.setName(spec.name);
        array.setRequiresGradient(true);
        params.put(spec.name, array);
      }
      return new BertModel(cfg, manager, params);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * A model holding copies of {@code weights} (on {@code parent}'s device, in a sub-manager of it). The names, shapes
   * and dtypes must match {@link #parameterShapes(BertConfig)}; all tensors share one dtype, FLOAT32 or FLOAT64. The
   * caller keeps ownership of {@code weights}.
   */
  public static BertModel fromParameters(BertConfig cfg, NDManager parent, Map<String, NDArray> weights) {
    LinkedHashMap<String, Shape> expected = parameterShapes(cfg);
    checkMatches(expected, weights);
    NDManager manager = parent.newSubManager();
    try {
      LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();
      for (String name : expected.keySet()) {
        params.put(name, copyTo(weights.get(name), manager));
      }
      return new BertModel(cfg, manager, params);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** Throws a one-line JbertException naming what in {@code weights} does not fit {@code expected}. */
  static void checkMatches(Map<String, Shape> expected, Map<String, NDArray> weights) {
    List<String> problems = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String name : expected.keySet()) {
      if (!weights.containsKey(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      problems.add("missing " + firstFew(missing));
    }
    List<String> unexpected = new ArrayList<>();
    for (String name : weights.keySet()) {
      if (!expected.containsKey(name)) {
        unexpected.add(name);
      }
    }
    if (!unexpected.isEmpty()) {
      problems.add("unexpected " + firstFew(unexpected));
    }
    DataType dtype = null;
    String dtypeFrom = null;
    for (Map.Entry<String, Shape> e : expected.entrySet()) {
      NDArray w = weights.get(e.getKey());
      if (w == null) {
        continue;
      }
      if (!w.getShape().equals(e.getValue())) {
        problems.add(e.getKey() + " has shape " + w.getShape() + ", expected " + e.getValue());
      }
      if (dtype == null) {
        dtype = w.getDataType();
        dtypeFrom = e.getKey();
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) {
          problems.add(e.getKey() + " has dtype " + dtype + ", expected float32 or float64");
        }
      } else if (w.getDataType() != dtype) {
        problems.add(e.getKey() + " has dtype " + w.getDataType() + ", expected " + dtype + " like " + dtypeFrom);
      }
    }
    if (!problems.isEmpty()) {
      String shown = String.join("; ", problems.subList(0, Math.min(4, problems.size())));
      if (problems.size() > 4) {
        shown += "; and " + (problems.size() - 4) + " more problems";
      }
      throw new JbertException("weights do not match the model config: " + shown);
    }
  }

  private static String firstFew(List<String> names) {
    String shown = String.join(", ", names.subList(0, Math.min(3, names.size())));
    return names.size() > 3 ? shown + " and " + (names.size() - 3) + " more" : shown;
  }

  private static void checkDtype(DataType dtype, String what) {
    if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) {
      throw new JbertException(what + " dtype " + dtype + " is not supported; use float32 or float64");
    }
  }

  /** A fresh copy of {@code source} on {@code target}'s device, owned by {@code target}, requiring gradients. */
  private static NDArray copyTo(NDArray source, NDManager target) {
    Device device = target.getDevice();
    NDArray copy = device.equals(source.getDevice()) ? source.duplicate() : source.toDevice(device, true);
    copy.attach(target);
    copy.setName(source.getName());
    copy.setRequiresGradient(true);
    return copy;
  }

  public BertConfig config() {
    return config;
  }

  /** The parameters, unmodifiable, in state_dict order. */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  /** The manager that owns the parameters. */
  public NDManager manager() {
    return manager;
  }

  public DataType dataType() {
    return parameters.get("encoder.token_embedding.weight").getDataType();
  }

  public long parameterCount() {
    long n = 0;
    for (NDArray p : parameters.values()) {
      n += p.getShape().size();
    }
    return n;
  }

  /**
   * The encoder output.
   *
   * @param tokens int64 (B, L)
   * @param segments int64 (B, L)
   * @param validLens float32 (B)
   * @return (B, L, H), in the manager of {@code tokens}
   */
  public NDArray encode(NDArray tokens, NDArray segments, NDArray validLens, boolean training) {
    return encode(tokens, segments, validLens,
        training ? Dropout.Keys.fromEngine(tokens.getManager(), tokens.getShape().get(0)) : null);
  }

  /** The encoder output in training mode, with dropout masks drawn from {@code keys} (null: inference). */
  public NDArray encode(NDArray tokens, NDArray segments, NDArray validLens, Dropout.Keys keys) {
    return encoder.forward(tokens, segments, validLens, keys);
  }

  /** encoded (B, L, H), predPositions int64 (B, P) -> MLM logits (B, P, V). */
  public NDArray mlmLogits(NDArray encoded, NDArray predPositions, boolean training) {
    return mlm.forward(encoded, predPositions, training);
  }

  /** The MLM MLP on rows already gathered: (N, H) -> (N, V) (any leading shape works). */
  public NDArray mlmHead(NDArray rows, boolean training) {
    return mlm.head(rows, training);
  }

  /**
   * encoded (B, L, H) -> (B, H): d2l's {@code hidden} (Linear + Tanh) on {@code <cls>} (position 0), what BERT calls
   * the pooler and Hugging Face {@code pooler_output}.
   */
  public NDArray pooled(NDArray encoded) {
    NDArray cls = encoded.get(new NDIndex(":, 0, :")); // (B, H)
    return hidden.forward(cls).tanh();
  }

  /** encoded (B, L, H) -> NSP logits (B, 2): a Linear on {@link #pooled}. */
  public NDArray nspLogits(NDArray encoded, boolean training) {
    return nsp.forward(pooled(encoded)); // (B, 2)
  }

  /** encode, then the MLM head (when {@code predPositionsOrNull} is not null) and the NSP head. */
  public BertOutput forward(
      NDArray tokens, NDArray segments, NDArray validLens, NDArray predPositionsOrNull, boolean training) {
    NDArray encoded = encode(tokens, segments, validLens, training);
    NDArray mlmLogits = predPositionsOrNull == null ? null : mlmLogits(encoded, predPositionsOrNull, training);
    return new BertOutput(encoded, mlmLogits, nspLogits(encoded, training));
  }

  /**
   * A copy of every weight on {@code target}'s device, in a sub-manager of {@code target}, requiring gradients (for data
   * parallelism). Close the replica to free it.
   */
  public BertModel replicate(NDManager target) {
    NDManager replicaManager = target.newSubManager();
    try {
      LinkedHashMap<String, NDArray> copies = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
        copies.put(e.getKey(), copyTo(e.getValue(), replicaManager));
      }
      return new BertModel(config, replicaManager, copies);
    } catch (RuntimeException e) {
      replicaManager.close();
      throw e;
    }
  }

  /** Closes the parameter manager (all parameters and their gradients). */
  @Override
  public void close() {
    manager.close();
  }

  // ---- layout and initialisation ----

  private enum Init {
    NORMAL,
    UNIFORM,
    ONES,
    ZEROS
  }

  /** One parameter: name, shape, how it is drawn, and where it comes in d2l's construction (= draw) order. */
  private static final class ParamSpec {
    final String name;
    final Shape shape;
    final Init init;
    final float bound;
    final int drawRank;

    ParamSpec(String name, Shape shape, Init init, float bound, int drawRank) {
      this.name = name;
      this.shape = shape;
      this.init = init;
      this.bound = bound;
      this.drawRank = drawRank;
    }

    NDArray init(NDManager m, DataType dtype) {
      return switch (init) {
        case NORMAL -> m.randomNormal(0f, 1f, shape, dtype);
        case UNIFORM -> m.randomUniform(-bound, bound, shape, dtype);
        case ONES -> m.ones(shape, dtype);
        case ZEROS -> m.zeros(shape, dtype);
      };
    }
  }

  private static final class Layout {
    final List<ParamSpec> specs = new ArrayList<>();
    int rank;

    void embedding(String name, long rows, long cols) {
      specs.add(new ParamSpec(name, new Shape(rows, cols), Init.NORMAL, 0f, rank++));
    }

    void linear(String name, long in, long out) {
      float bound = (float) (1.0 / Math.sqrt(in));
      specs.add(new ParamSpec(name + ".weight", new Shape(out, in), Init.UNIFORM, bound, rank++));
      specs.add(new ParamSpec(name + ".bias", new Shape(out), Init.UNIFORM, bound, rank++));
    }

    void layerNorm(String name, long size) {
      specs.add(new ParamSpec(name + ".weight", new Shape(size), Init.ONES, 0f, rank++));
      specs.add(new ParamSpec(name + ".bias", new Shape(size), Init.ZEROS, 0f, rank++));
    }
  }

  private static List<ParamSpec> layout(BertConfig cfg) {
    long h = cfg.hidden();
    Layout l = new Layout();
    // encoder: d2l constructs token_embedding, segment_embedding, blks, then pos_embedding; the state_dict lists the
    // encoder's own parameter pos_embedding before its children
    int posRank = 2 + cfg.layers() * 16;
    l.specs.add(
        new ParamSpec("encoder.pos_embedding", new Shape(1, cfg.maxPositions(), h), Init.NORMAL, 0f, posRank));
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
