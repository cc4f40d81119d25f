package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BertModelTest {
  static final int V = 20256;
  static final BertConfig SMALL = new BertConfig(11, 8, 16, 2, 1, 0.2f, 12);

  static BertModel d2l; // the d2l preset at V = 20256, float32, seed 1

  @BeforeAll
  static void open() {
    d2l = BertModel.create(BertConfig.d2l(V), ScalarType.Float, "cpu", 1);
  }

  @AfterAll
  static void close() {
    d2l.close();
  }

  @Test
  void d2lPresetHas257VPlus426754Parameters() {
    assertThat(d2l.parameterCount()).isEqualTo(5_632_546L);
    for (int v : new int[] {1, 11, 30522}) {
      long count =
          BertModel.parameterShapes(BertConfig.d2l(v)).values().stream().mapToLong(BertModelTest::size).sum();
      assertThat(count).isEqualTo(257L * v + 426_754L);
    }
  }

  @Test
  void parameterNamesAndShapesAreTheD2lStateDict() {
    String listing =
        BertModel.parameterShapes(SMALL).entrySet().stream()
            .map(e -> e.getKey() + " " + Torch.shapeText(e.getValue()))
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
    BertModel model;
    try (PointerScope scope = new PointerScope()) {
      model = BertModel.create(SMALL, ScalarType.Float, "cpu", 3);
    }
    // the parameters outlive the scope the model was made in, and close() frees them
    try (PointerScope scope = new PointerScope()) {
      assertThat(model.parameters().keySet()).containsExactlyElementsOf(BertModel.parameterShapes(SMALL).keySet());
      model.parameters().forEach((name, p) -> {
        assertThat(p.isNull()).as(name).isFalse();
        assertThat(p.requires_grad()).as(name).isTrue();
        assertThat(p.is_leaf()).as(name).isTrue();
        assertThat(Torch.shape(p)).as(name).containsExactly(BertModel.parameterShapes(SMALL).get(name));
        assertThat(Torch.dtype(p)).as(name).isEqualTo(ScalarType.Float);
      });
    } finally {
      model.close();
    }
    assertThat(model.parameters().values()).allMatch(t -> t.isNull());
  }

  @Test
  void oneSentenceEncodesTo1x6x128AndAPairTo1x10x128() {
    try (PointerScope scope = new PointerScope(); NoGradGuard inference = new NoGradGuard()) {
      // <cls> a crane is flying <sep>
      Tensor one = d2l.encode(ids(3, 10, 2001, 33, 4071, 4), ids(0, 0, 0, 0, 0, 0), lens(6), null);
      assertThat(Torch.shape(one)).containsExactly(1, 6, 128);
      // <cls> a crane driver came <sep> he just left <sep>
      Tensor pair =
          d2l.encode(
              ids(3, 10, 2001, 3321, 501, 4, 27, 130, 412, 4),
              ids(0, 0, 0, 0, 0, 0, 1, 1, 1, 1),
              lens(10),
              null);
      assertThat(Torch.shape(pair)).containsExactly(1, 10, 128);
      BertOutput out = d2l.forward(
          ids(3, 10, 2001, 33, 4071, 4), ids(0, 0, 0, 0, 0, 0), lens(6), ids(1, 2), null);
      assertThat(Torch.shape(out.mlmLogitsOrNull())).containsExactly(1, 2, V);
      assertThat(Torch.shape(out.nspLogits())).containsExactly(1, 2);
      assertThat(d2l.forward(ids(3, 4), ids(0, 0), lens(2), null, null).mlmLogitsOrNull()).isNull();
    }
  }

  @Test
  void tokensBeyondTheValidLengthChangeNothingBeforeIt() {
    try (PointerScope scope = new PointerScope(); NoGradGuard inference = new NoGradGuard()) {
      Tensor segments = longs(new long[][] {{0, 0, 0, 0, 1, 1, 0, 0}, {0, 0, 0, 1, 1, 1, 1, 1}});
      Tensor valid = Torch.floats(new float[] {6, 8});
      Tensor a = d2l.encode(longs(new long[][] {{3, 5, 6, 4, 7, 4, 0, 0}, {3, 9, 4, 8, 8, 8, 8, 4}}),
          segments, valid, null);
      Tensor b = d2l.encode(longs(new long[][] {{3, 5, 6, 4, 7, 4, 99, 1234}, {3, 9, 4, 8, 8, 8, 8, 4}}),
          segments, valid, null);
      // masked keys get softmax weight exactly 0, so only float rounding could differ: 1e-6 of the outputs' scale
      float scale = a.abs().max().item_float();
      Tensor diffValid = a.narrow(1, 0, 6).sub(b.narrow(1, 0, 6)).abs().max();
      assertThat(diffValid.item_float()).isLessThanOrEqualTo(1e-6f * scale);
      Tensor diffPadding = a.select(0, 0).narrow(0, 6, 2).sub(b.select(0, 0).narrow(0, 6, 2)).abs().max();
      assertThat(diffPadding.item_float()).isGreaterThan(1e-2f * scale);
    }
  }

  @Test
  void sameSeedGivesIdenticalWeightsAndAnotherSeedDifferent() {
    try (BertModel a = BertModel.create(SMALL, ScalarType.Float, "cpu", 7);
        BertModel b = BertModel.create(SMALL, ScalarType.Float, "cpu", 7);
        BertModel c = BertModel.create(SMALL, ScalarType.Float, "cpu", 8)) {
      for (String name : a.parameters().keySet()) {
        assertThat(Torch.toFloats(a.parameters().get(name))).as(name)
            .containsExactly(Torch.toFloats(b.parameters().get(name)));
      }
      assertThat(Torch.toFloats(a.parameters().get("encoder.token_embedding.weight")))
          .isNotEqualTo(Torch.toFloats(c.parameters().get("encoder.token_embedding.weight")));
    }
  }

  @Test
  void initialisationFollowsPytorchDefaults() {
    for (Map.Entry<String, Tensor> e : d2l.parameters().entrySet()) {
      String name = e.getKey();
      float[] values = Torch.toFloats(e.getValue());
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
        long fanIn = Torch.shape(d2l.parameters().get(linear + ".weight"))[1];
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
    float[] wq = Torch.toFloats(d2l.parameters().get("encoder.blks.0.attention.W_q.weight"));
    assertThat(mean(wq, 0)).isCloseTo(1.0 / 128 / 3, org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void dropoutIsOffInInferenceAndOnInTrainingWithMasksFromTheKeys() {
    try (PointerScope scope = new PointerScope(); NoGradGuard inference = new NoGradGuard()) {
      Tensor tokens = ids(3, 10, 2001, 33, 4071, 4);
      Tensor segments = ids(0, 0, 0, 0, 0, 0);
      Tensor valid = lens(6);
      float[] eval1 = Torch.toFloats(d2l.encode(tokens, segments, valid, null));
      float[] eval2 = Torch.toFloats(d2l.encode(tokens, segments, valid, null));
      float[] train1 = Torch.toFloats(d2l.encode(tokens, segments, valid, Dropout.Keys.of(1, 1)));
      float[] train1Again = Torch.toFloats(d2l.encode(tokens, segments, valid, Dropout.Keys.of(1, 1)));
      float[] train2 = Torch.toFloats(d2l.encode(tokens, segments, valid, Dropout.Keys.of(2, 1)));
      assertThat(eval1).containsExactly(eval2);
      assertThat(train1).isNotEqualTo(eval1);
      assertThat(train1Again).containsExactly(train1);
      assertThat(train1).isNotEqualTo(train2);
    }
  }

  @Test
  void dropoutScalesKeptValuesAndIsIdentityWhenNotTraining() {
    try (PointerScope scope = new PointerScope()) {
      Tensor x = Torch.zeros(ScalarType.Float, "cpu", 100, 1000).add(Torch.scalar(1));
      assertThat(Dropout.apply(x, 0.2f, 0, null)).isSameAs(x);
      float[] y = Torch.toFloats(Dropout.apply(x, 0.2f, 0, Dropout.Keys.of(5, 100)));
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
  void forwardAndBackwardInAStepScopeFreeTheStepsTensorsAndLeaveTheParametersAlone() {
    try (BertModel model = BertModel.create(SMALL, ScalarType.Float, "cpu", 5)) {
      Map<String, Integer> before = new LinkedHashMap<>();
      model.parameters().forEach((name, p) -> before.put(name, p.referenceCount()));
      assertThat(before.values()).allMatch(count -> count > 0);
      Map<String, Tensor> stepTensors = new LinkedHashMap<>();
      for (int i = 0; i < 3; i++) {
        try (PointerScope step = new PointerScope()) {
          BertOutput out = model.forward(
              longs(new long[][] {{1, 5, 6, 2, 0}, {1, 7, 2, 8, 2}}),
              longs(new long[][] {{0, 0, 0, 0, 0}, {0, 0, 0, 1, 1}}),
              Torch.floats(new float[] {4, 5}),
              longs(new long[][] {{1, 2}, {1, 3}}),
              Dropout.Keys.of(i, 2));
          Tensor loss = out.mlmLogitsOrNull().square().mean().add(out.nspLogits().square().mean());
          loss.backward();
          Tensor head = model.mlmHead(out.encoded().select(1, 0));
          assertThat(Torch.shape(head)).containsExactly(2, 11);
          stepTensors.putAll(Map.of("encoded " + i, out.encoded(), "mlm logits " + i, out.mlmLogitsOrNull(),
              "nsp logits " + i, out.nspLogits(), "loss " + i, loss, "head " + i, head));
        }
        // every tensor the step made is freed with its scope; the parameters keep exactly their own references
        stepTensors.forEach((name, t) -> assertThat(t.isNull()).as(name).isTrue());
        model.parameters().forEach((name, p) -> {
          assertThat(p.isNull()).as(name).isFalse();
          assertThat(p.referenceCount()).as(name).isEqualTo(before.get(name));
        });
      }
      // the gradients did arrive, and outlived the steps' scopes
      try (PointerScope scope = new PointerScope()) {
        Tensor grad = model.parameters().get("encoder.token_embedding.weight").grad();
        assertThat(grad.defined()).isTrue();
        assertThat(grad.abs().sum().item_float()).isGreaterThan(0f);
      }
    }
  }

  @Test
  void concurrentInferenceFromSeveralThreadsGivesTheSingleThreadResult() throws Exception {
    long[][] tokens = {{3, 10, 2001, 33, 4071, 4, 0, 0}, {3, 11, 12, 4, 13, 14, 15, 4}};
    long[][] segments = {{0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 1, 1, 1}};
    float[] valid = {6, 8};
    float[] expected;
    try (PointerScope scope = new PointerScope(); NoGradGuard inference = new NoGradGuard()) {
      expected = Torch.toFloats(d2l.encode(longs(tokens), longs(segments), Torch.floats(valid), null));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[]>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> {
          // scopes and grad mode are per thread
          try (PointerScope scope = new PointerScope(); NoGradGuard inference = new NoGradGuard()) {
            return Torch.toFloats(d2l.encode(longs(tokens), longs(segments), Torch.floats(valid), null));
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
    try (BertModel model = BertModel.create(SMALL, ScalarType.Double, "cpu", 9)) {
      BertModel copy;
      BertModel replica;
      try (PointerScope made = new PointerScope()) {
        copy = BertModel.fromParameters(SMALL, "cpu", model.parameters());
        replica = model.replicate("cpu");
      }
      // both outlive the scope they were made in
      try (copy;
          replica;
          PointerScope scope = new PointerScope();
          NoGradGuard inference = new NoGradGuard()) {
        Tensor tokens = longs(new long[][] {{1, 5, 6, 2, 7, 2}});
        Tensor segments = longs(new long[][] {{0, 0, 0, 0, 1, 1}});
        Tensor valid = Torch.floats(new float[] {6});
        double[] expected = Torch.toDoubles(model.encode(tokens, segments, valid, null));
        assertThat(Torch.toDoubles(copy.encode(tokens, segments, valid, null))).containsExactly(expected);
        assertThat(Torch.toDoubles(replica.encode(tokens, segments, valid, null))).containsExactly(expected);
        assertThat(replica.dataType()).isEqualTo(ScalarType.Double);
        assertThat(replica.device()).isEqualTo("cpu");
        for (String name : model.parameters().keySet()) {
          Tensor p = replica.parameters().get(name);
          assertThat(p.requires_grad()).as(name).isTrue();
          assertThat(p.is_leaf()).as(name).isTrue();
        }
        // a copy, not a view: changing the replica leaves the original (and the other copy) alone
        replica.parameters().get("nsp.output.bias").add_(Torch.scalar(1.0));
        assertThat(Torch.toDoubles(model.parameters().get("nsp.output.bias")))
            .isNotEqualTo(Torch.toDoubles(replica.parameters().get("nsp.output.bias")))
            .containsExactly(Torch.toDoubles(copy.parameters().get("nsp.output.bias")));
      }
    }
  }

  @Test
  void fromParametersSaysExactlyWhatDoesNotMatch() {
    try (BertModel model = BertModel.create(SMALL, ScalarType.Float, "cpu", 9);
        PointerScope scratch = new PointerScope()) {
      Map<String, Tensor> weights = new LinkedHashMap<>(model.parameters());
      weights.remove("nsp.output.bias");
      weights.put("mlm.mlp.3.weight", Torch.zeros(ScalarType.Float, "cpu", 12, 8));
      weights.put("encoder.blks.0.ffn.dense1.bias", Torch.zeros(ScalarType.Double, "cpu", 16));
      weights.put("pooler.weight", Torch.zeros(ScalarType.Float, "cpu", 8, 8));
      assertThatThrownBy(() -> BertModel.fromParameters(SMALL, "cpu", weights))
          .isInstanceOf(JbertException.class)
          .hasMessage(
              "weights do not match the model config: missing nsp.output.bias; unexpected pooler.weight; "
                  + "encoder.blks.0.ffn.dense1.bias has dtype float64, expected float32 like encoder.pos_embedding; "
                  + "mlm.mlp.3.weight has shape (12, 8), expected (11, 8)");
    }
  }

  @Test
  void tooLongInputAndBadDtypeAreRejected() {
    try (PointerScope scope = new PointerScope()) {
      long[][] tooLong = new long[1][13];
      assertThatThrownBy(() -> {
        try (BertModel model = BertModel.create(SMALL, ScalarType.Float, "cpu", 1)) {
          model.encode(longs(tooLong), longs(tooLong), Torch.floats(new float[] {13}), null);
        }
      }).isInstanceOf(JbertException.class)
          .hasMessage("input of 13 tokens is longer than the model's 12 positions; shorten the input");
      assertThatThrownBy(() -> BertModel.create(SMALL, ScalarType.Half, "cpu", 1))
          .isInstanceOf(JbertException.class)
          .hasMessage("model dtype float16 is not supported; use float32 or float64");
    }
  }

  /** One sequence of ids, as int64 (1, T). */
  static Tensor ids(long... ids) {
    return Torch.longs(ids, 1, ids.length);
  }

  static Tensor lens(float... lens) {
    return Torch.floats(lens);
  }

  /** An int64 tensor of the rows of {@code values} (all of one length). */
  static Tensor longs(long[][] values) {
    long[] flat = java.util.Arrays.stream(values).flatMapToLong(java.util.Arrays::stream).toArray();
    return Torch.longs(flat, values.length, values[0].length);
  }

  static long size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
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
