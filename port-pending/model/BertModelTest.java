package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.jbert.JbertException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BertModelTest {
  static final int V = 20256;
  static final BertConfig SMALL = new BertConfig(11, 8, 16, 2, 1, 0.2f, 12);

  static NDManager manager;
  static BertModel d2l; // the d2l preset at V = 20256, float32, seed 1

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
    d2l = BertModel.create(BertConfig.d2l(V), manager, DataType.FLOAT32, 1);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  @Test
  void d2lPresetHas257VPlus426754Parameters() {
    assertThat(d2l.parameterCount()).isEqualTo(5_632_546L);
    for (int v : new int[] {1, 11, 30522}) {
      long count =
          BertModel.parameterShapes(BertConfig.d2l(v)).values().stream().mapToLong(Shape::size).sum();
      assertThat(count).isEqualTo(257L * v + 426_754L);
    }
  }

  @Test
  void parameterNamesAndShapesAreTheD2lStateDict() {
    String listing =
        BertModel.parameterShapes(SMALL).entrySet().stream()
            .map(e -> e.getKey() + " " + e.getValue())
            .collect(Collectors.joining("\n"));
    assertThat(listing)
        .isEqualTo(
            String.join(
                "\n",
                "encoder.pos_embedding (1, 12, 8)",
                "encoder.token_embedding.weight (11, 8)",
                "encoder.segment_embedding.weight (2, 8)",
                "encoder.blks.0.attention.W_q.weight (8, 8)",
                "encoder.blks.0.attention.W_q.bias (8)",
                "encoder.blks.0.attention.W_k.weight (8, 8)",
                "encoder.blks.0.attention.W_k.bias (8)",
                "encoder.blks.0.attention.W_v.weight (8, 8)",
                "encoder.blks.0.attention.W_v.bias (8)",
                "encoder.blks.0.attention.W_o.weight (8, 8)",
                "encoder.blks.0.attention.W_o.bias (8)",
                "encoder.blks.0.addnorm1.ln.weight (8)",
                "encoder.blks.0.addnorm1.ln.bias (8)",
                "encoder.blks.0.ffn.dense1.weight (16, 8)",
                "encoder.blks.0.ffn.dense1.bias (16)",
                "encoder.blks.0.ffn.dense2.weight (8, 16)",
                "encoder.blks.0.ffn.dense2.bias (8)",
                "encoder.blks.0.addnorm2.ln.weight (8)",
                "encoder.blks.0.addnorm2.ln.bias (8)",
                "hidden.0.weight (8, 8)",
                "hidden.0.bias (8)",
                "mlm.mlp.0.weight (8, 8)",
                "mlm.mlp.0.bias (8)",
                "mlm.mlp.2.weight (8)",
                "mlm.mlp.2.bias (8)",
                "mlm.mlp.3.weight (11, 8)",
                "mlm.mlp.3.bias (11)",
                "nsp.output.weight (2, 8)",
                "nsp.output.bias (2)"));
    try (BertModel model = BertModel.create(SMALL, manager, DataType.FLOAT32, 3)) {
      assertThat(model.parameters().keySet()).containsExactlyElementsOf(BertModel.parameterShapes(SMALL).keySet());
      model.parameters().forEach((name, p) -> {
        assertThat(p.hasGradient()).as(name).isTrue();
        assertThat(p.getManager()).isSameAs(model.manager());
      });
    }
  }

  @Test
  void oneSentenceEncodesTo1x6x128AndAPairTo1x10x128() {
    try (NDManager step = manager.newSubManager()) {
      // <cls> a crane is flying <sep>
      NDArray one = d2l.encode(ids(step, 3, 10, 2001, 33, 4071, 4), ids(step, 0, 0, 0, 0, 0, 0), lens(step, 6), false);
      assertThat(one.getShape()).isEqualTo(new Shape(1, 6, 128));
      // <cls> a crane driver came <sep> he just left <sep>
      NDArray pair =
          d2l.encode(
              ids(step, 3, 10, 2001, 3321, 501, 4, 27, 130, 412, 4),
              ids(step, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1),
              lens(step, 10),
              false);
      assertThat(pair.getShape()).isEqualTo(new Shape(1, 10, 128));
      BertOutput out = d2l.forward(
          ids(step, 3, 10, 2001, 33, 4071, 4), ids(step, 0, 0, 0, 0, 0, 0), lens(step, 6), ids(step, 1, 2), false);
      assertThat(out.mlmLogitsOrNull().getShape()).isEqualTo(new Shape(1, 2, V));
      assertThat(out.nspLogits().getShape()).isEqualTo(new Shape(1, 2));
      assertThat(d2l.forward(ids(step, 3, 4), ids(step, 0, 0), lens(step, 2), null, false).mlmLogitsOrNull()).isNull();
    }
  }

  @Test
  void tokensBeyondTheValidLengthChangeNothingBeforeIt() {
    try (NDManager step = manager.newSubManager()) {
      NDArray segments = step.create(new long[][] {{0, 0, 0, 0, 1, 1, 0, 0}, {0, 0, 0, 1, 1, 1, 1, 1}});
      NDArray valid = step.create(new float[] {6, 8});
      NDArray a = d2l.encode(step.create(new long[][] {{3, 5, 6, 4, 7, 4, 0, 0}, {3, 9, 4, 8, 8, 8, 8, 4}}),
          segments, valid, false);
      NDArray b = d2l.encode(step.create(new long[][] {{3, 5, 6, 4, 7, 4, 99, 1234}, {3, 9, 4, 8, 8, 8, 8, 4}}),
          segments, valid, false);
      // masked keys get softmax weight exactly 0, so only float rounding could differ: 1e-6 of the outputs' scale
      float scale = a.abs().max().getFloat();
      NDArray diffValid = a.get(":, :6, :").sub(b.get(":, :6, :")).abs().max();
      assertThat(diffValid.getFloat()).isLessThanOrEqualTo(1e-6f * scale);
      NDArray diffPadding = a.get("0, 6:, :").sub(b.get("0, 6:, :")).abs().max();
      assertThat(diffPadding.getFloat()).isGreaterThan(1e-2f * scale);
    }
  }

  @Test
  void sameSeedGivesIdenticalWeightsAndAnotherSeedDifferent() {
    try (BertModel a = BertModel.create(SMALL, manager, DataType.FLOAT32, 7);
        BertModel b = BertModel.create(SMALL, manager, DataType.FLOAT32, 7);
        BertModel c = BertModel.create(SMALL, manager, DataType.FLOAT32, 8)) {
      for (String name : a.parameters().keySet()) {
        assertThat(a.parameters().get(name).toFloatArray()).as(name)
            .containsExactly(b.parameters().get(name).toFloatArray());
      }
      assertThat(a.parameters().get("encoder.token_embedding.weight").toFloatArray())
          .isNotEqualTo(c.parameters().get("encoder.token_embedding.weight").toFloatArray());
    }
  }

  @Test
  void initialisationFollowsPytorchDefaults() {
    for (Map.Entry<String, NDArray> e : d2l.parameters().entrySet()) {
      String name = e.getKey();
      float[] values = e.getValue().toFloatArray();
      if (name.contains("embedding")) {
        double mean = mean(values);
        double std = Math.sqrt(mean(values, mean));
        double tolerance = values.length > 10_000 ? 0.02 : 0.15;
        assertThat(mean).as(name).isBetween(-tolerance, tolerance);
        assertThat(std).as(name).isBetween(1 - tolerance, 1 + tolerance);
      } else if (name.contains(".ln.") || name.startsWith("mlm.mlp.2.")) {
        float expected = name.endsWith(".weight") ? 1f : 0f;
        for (float v : values) {
          assertThat(v).as(name).isEqualTo(expected);
        }
      } else {
        String linear = name.substring(0, name.lastIndexOf('.'));
        long fanIn = d2l.parameters().get(linear + ".weight").getShape().get(1);
        double bound = 1 / Math.sqrt(fanIn);
        double maxAbs = 0;
        for (float v : values) {
          maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        assertThat(maxAbs).as(name).isLessThanOrEqualTo(bound);
        if (values.length >= 100) {
          assertThat(maxAbs).as(name).isGreaterThan(0.9 * bound);
        }
        if (values.length >= 10_000) {
          assertThat(mean(values)).as(name).isBetween(-0.05 * bound, 0.05 * bound);
        }
      }
    }
    // the weight of Linear(H, H) is U(-1/sqrt(128), 1/sqrt(128)): variance bound^2 / 3
    float[] wq = d2l.parameters().get("encoder.blks.0.attention.W_q.weight").toFloatArray();
    assertThat(mean(wq, 0)).isCloseTo(1.0 / 128 / 3, org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void dropoutIsOffInInferenceAndOnInTraining() {
    try (NDManager step = manager.newSubManager()) {
      NDArray tokens = ids(step, 3, 10, 2001, 33, 4071, 4);
      NDArray segments = ids(step, 0, 0, 0, 0, 0, 0);
      NDArray valid = lens(step, 6);
      float[] eval1 = d2l.encode(tokens, segments, valid, false).toFloatArray();
      float[] eval2 = d2l.encode(tokens, segments, valid, false).toFloatArray();
      float[] train1 = d2l.encode(tokens, segments, valid, true).toFloatArray();
      float[] train2 = d2l.encode(tokens, segments, valid, true).toFloatArray();
      assertThat(eval1).containsExactly(eval2);
      assertThat(train1).isNotEqualTo(eval1);
      assertThat(train1).isNotEqualTo(train2);
    }
  }

  @Test
  void dropoutScalesKeptValuesAndIsIdentityWhenNotTraining() {
    try (NDManager step = manager.newSubManager()) {
      NDArray x = step.ones(new Shape(100, 1000));
      Dropout dropout = new Dropout(0.2f, 0);
      assertThat(dropout.forward(x, null)).isSameAs(x);
      float[] y = dropout.forward(x, Dropout.Keys.fromEngine(step, 100)).toFloatArray();
      int kept = 0;
      for (float v : y) {
        if (v != 0f) {
          assertThat(v).isEqualTo(1.25f);
          kept++;
        }
      }
      assertThat(kept / 100_000.0).isBetween(0.79, 0.81);
    }
  }

  @Test
  void forwardAndBackwardInAStepManagerLeaveTheParameterManagerUnchanged() {
    try (BertModel model = BertModel.create(SMALL, manager, DataType.FLOAT32, 5)) {
      int before = model.manager().getManagedArrays().size();
      assertThat(before).isEqualTo(model.parameters().size());
      int parentBefore = manager.getManagedArrays().size();
      for (int i = 0; i < 3; i++) {
        try (NDManager step = manager.newSubManager();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          BertOutput out = model.forward(
              step.create(new long[][] {{1, 5, 6, 2, 0}, {1, 7, 2, 8, 2}}),
              step.create(new long[][] {{0, 0, 0, 0, 0}, {0, 0, 0, 1, 1}}),
              step.create(new float[] {4, 5}),
              step.create(new long[][] {{1, 2}, {1, 3}}),
              true);
          NDArray loss = out.mlmLogitsOrNull().square().mean().add(out.nspLogits().square().mean());
          gc.backward(loss);
          NDArray head = model.mlmHead(out.encoded().get(":, 0, :"), true);
          assertThat(head.getShape()).isEqualTo(new Shape(2, 11));
        }
        assertThat(model.manager().getManagedArrays()).hasSize(before);
        assertThat(manager.getManagedArrays()).hasSize(parentBefore);
      }
      // the gradients did arrive (and reading them puts one wrapper per parameter in the parameter manager)
      NDArray grad = model.parameters().get("encoder.token_embedding.weight").getGradient();
      assertThat(grad.abs().sum().getFloat()).isGreaterThan(0f);
    }
  }

  @Test
  void concurrentInferenceFromSeveralThreadsGivesTheSingleThreadResult() throws Exception {
    long[][] tokens = {{3, 10, 2001, 33, 4071, 4, 0, 0}, {3, 11, 12, 4, 13, 14, 15, 4}};
    long[][] segments = {{0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 1, 1, 1}};
    float[] valid = {6, 8};
    float[] expected;
    try (NDManager step = manager.newSubManager()) {
      expected = d2l.encode(step.create(tokens), step.create(segments), step.create(valid), false).toFloatArray();
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[]>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> {
          try (NDManager step = manager.newSubManager()) {
            return d2l.encode(step.create(tokens), step.create(segments), step.create(valid), false).toFloatArray();
          }
        }));
      }
      for (Future<float[]> f : results) {
        assertThat(f.get()).containsExactly(expected);
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void fromParametersAndReplicateReproduceTheOutputs() {
    try (BertModel model = BertModel.create(SMALL, manager, DataType.FLOAT64, 9);
        BertModel copy = BertModel.fromParameters(SMALL, manager, model.parameters());
        NDManager replicaHome = manager.newSubManager();
        BertModel replica = model.replicate(replicaHome);
        NDManager step = manager.newSubManager()) {
      NDArray tokens = step.create(new long[][] {{1, 5, 6, 2, 7, 2}});
      NDArray segments = step.create(new long[][] {{0, 0, 0, 0, 1, 1}});
      NDArray valid = step.create(new float[] {6});
      double[] expected = model.encode(tokens, segments, valid, false).toDoubleArray();
      assertThat(copy.encode(tokens, segments, valid, false).toDoubleArray()).containsExactly(expected);
      assertThat(replica.encode(tokens, segments, valid, false).toDoubleArray()).containsExactly(expected);
      assertThat(replica.dataType()).isEqualTo(DataType.FLOAT64);
      for (String name : model.parameters().keySet()) {
        NDArray p = replica.parameters().get(name);
        assertThat(p.hasGradient()).isTrue();
        assertThat(p.getManager()).isSameAs(replica.manager());
      }
      // a copy, not a view: changing the replica leaves the original alone
      replica.parameters().get("nsp.output.bias").setRequiresGradient(false);
      replica.parameters().get("nsp.output.bias").addi(1.0);
      assertThat(model.parameters().get("nsp.output.bias").toDoubleArray())
          .isNotEqualTo(replica.parameters().get("nsp.output.bias").toDoubleArray());
    }
  }

  @Test
  void fromParametersSaysExactlyWhatDoesNotMatch() {
    try (BertModel model = BertModel.create(SMALL, manager, DataType.FLOAT32, 9);
        NDManager scratch = manager.newSubManager()) {
      Map<String, NDArray> weights = new LinkedHashMap<>(model.parameters());
      weights.remove("nsp.output.bias");
      weights.put("mlm.mlp.3.weight", scratch.zeros(new Shape(12, 8)));
      weights.put("encoder.blks.0.ffn.dense1.bias", scratch.zeros(new Shape(16), DataType.FLOAT64));
      weights.put("pooler.weight", scratch.zeros(new Shape(8, 8)));
      assertThatThrownBy(() -> BertModel.fromParameters(SMALL, manager, weights))
          .isInstanceOf(JbertException.class)
          .hasMessage(
              "weights do not match the model config: missing nsp.output.bias; unexpected pooler.weight; "
                  + "encoder.blks.0.ffn.dense1.bias has dtype float64, expected float32 like encoder.pos_embedding; "
                  + "mlm.mlp.3.weight has shape (12, 8), expected (11, 8)");
    }
  }

  @Test
  void tooLongInputAndBadDtypeAreRejected() {
    try (NDManager step = manager.newSubManager()) {
      long[][] tooLong = new long[1][13];
      assertThatThrownBy(() -> {
        try (BertModel model = BertModel.create(SMALL, manager, DataType.FLOAT32, 1)) {
          model.encode(step.create(tooLong), step.create(tooLong), step.create(new float[] {13}), false);
        }
      }).isInstanceOf(JbertException.class)
          .hasMessage("input of 13 tokens is longer than the model's 12 positions; shorten the input");
      assertThatThrownBy(() -> BertModel.create(SMALL, manager, DataType.FLOAT16, 1))
          .isInstanceOf(JbertException.class)
          .hasMessage("model dtype float16 is not supported; use float32 or float64");
    }
  }

  static NDArray ids(NDManager m, long... ids) {
    return m.create(new long[][] {ids});
  }

  static NDArray lens(NDManager m, float... lens) {
    return m.create(lens);
  }

  static double mean(float[] values) {
    double s = 0;
    for (float v : values) {
      s += v;
    }
    return s / values.length;
  }

  static double mean(float[] values, double center) {
    double s = 0;
    for (float v : values) {
      s += (v - center) * (v - center);
    }
    return s / values.length;
  }
}
