package dev.jbert.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jbert.JbertException;
import dev.jbert.Numeric;
import dev.jbert.Torch;
import dev.jbert.data.Vocab;
import dev.jbert.model.BertConfig;
import dev.jbert.model.BertModel;
import dev.jbert.model.BertOutput;
import dev.jbert.model.ModelFiles;
import dev.jbert.model.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertTest {
  @TempDir static Path dir;
  static Bert bert;

  @BeforeAll
  static void load() {
    bert = Bert.load(TinyModel.write(dir));
  }

  @AfterAll
  static void close() {
    bert.close();
  }

  /**
   * What the model gives for {@code ids} computed directly with BertModel in inference mode, as the test's reference:
   * the encoder output, the MLM logits at {@code predPositions} (when not null) and the NSP logits, as Java arrays.
   */
  private static float[][] reference(long[] ids, long[] segments, long[] predPositions) {
    try (BertModel model = ModelFiles.load(dir, "cpu"); PointerScope scope = new PointerScope();
        InferenceMode inference = new InferenceMode()) {
      Tensor tokens = Torch.longs(ids, 1, ids.length);
      Tensor seg = Torch.longs(segments, 1, ids.length);
      Tensor valid = Torch.floats(new float[] {ids.length});
      Tensor pred = predPositions == null ? null : Torch.longs(predPositions, 1, predPositions.length);
      BertOutput out = model.forward(tokens, seg, valid, pred, null);
      return new float[][] {Torch.toFloats(out.encoded()),
          out.mlmLogitsOrNull() == null ? null : Torch.toFloats(out.mlmLogitsOrNull()), Torch.toFloats(out.nspLogits())};
    }
  }

  private static float[] flatten(float[][] rows) {
    float[] out = new float[rows.length * rows[0].length];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, out, r * rows[0].length, rows[0].length);
    }
    return out;
  }

  private static long[] ids(String... tokens) {
    Vocab vocab = TinyModel.vocab();
    return java.util.Arrays.stream(tokens).mapToLong(vocab::id).toArray();
  }

  private static double[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    double[] p = new double[logits.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp((double) logits[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  @Test
  void specSectionNineShapes() {
    Encoding single = bert.encode("a crane is flying");
    assertThat(single.shape()).containsExactly(1, 6, 128);
    assertThat(single.tokens()).containsExactly("<cls>", "a", "crane", "is", "flying", "<sep>");
    Encoding pair = bert.encode("a crane driver came", "he just left");
    assertThat(pair.shape()).containsExactly(1, 10, 128);
    assertThat(pair.tokens())
        .containsExactly("<cls>", "a", "crane", "driver", "came", "<sep>", "he", "just", "left", "<sep>");
    assertThat(pair.vectors()).hasDimensions(10, 128);
  }

  @Test
  void vectorsAreTheModelsEncoderOutputInInferenceMode() {
    Encoding pair = bert.encode("a crane driver came", "he just left");
    float[] expected = reference(ids("<cls>", "a", "crane", "driver", "came", "<sep>", "he", "just", "left", "<sep>"),
        new long[] {0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, null)[0];
    for (int t = 0; t < 10; t++) {
      assertThat(pair.vector(t)).containsExactly(java.util.Arrays.copyOfRange(expected, t * 128, (t + 1) * 128));
    }
    assertThat(pair.cls()).containsExactly(pair.vectors()[0]);
  }

  @Test
  void thePooledVectorIsTanhOfTheHiddenLayerOnClsAndTheMeanIsTheMeanOfTheRows() {
    Encoding e = bert.encode("a crane driver came", "he just left");
    try (PointerScope scope = new PointerScope()) {
      // pooled = tanh(W cls + b) with d2l's hidden.0 weights, in float64 from the saved file
      Map<String, Tensor> weights = SafeTensors.read(dir.resolve(ModelFiles.WEIGHTS), "cpu");
      float[] w = Torch.toFloats(weights.get("hidden.0.weight")); // (H, H), out x in
      float[] bias = Torch.toFloats(weights.get("hidden.0.bias"));
      float[] cls = e.cls();
      int h = cls.length;
      double[] expected = new double[h];
      for (int o = 0; o < h; o++) {
        double z = bias[o];
        for (int i = 0; i < h; i++) {
          z += (double) w[o * h + i] * cls[i];
        }
        expected[o] = Math.tanh(z);
      }
      Numeric.assertAllClose("pooled", Numeric.widen(e.pooled()), expected, 1e-5, 1e-6);
    }
    double[] mean = new double[e.hidden()];
    for (float[] row : e.vectors()) {
      for (int j = 0; j < mean.length; j++) {
        mean[j] += row[j] / (double) e.length();
      }
    }
    Numeric.assertAllClose("mean", Numeric.widen(e.mean()), mean, 1e-6, 0);
    // one input alone and in a batch give the same pooled vector (up to the batch's summation order)
    Encoding inBatch = bert.encodeBatch(List.of(Input.pair("a crane driver came", "he just left"),
        Input.text("a crane is flying"))).get(0);
    Numeric.assertAllClose("pooled in a batch", inBatch.pooled(), e.pooled(), 1e-5, 0);
  }

  @Test
  void sameInputGivesIdenticalVectorsEveryTime() {
    Encoding first = bert.encode("a crane is flying");
    Encoding second = bert.encode("a crane is flying");
    assertThat(second.vectors()).isDeepEqualTo(first.vectors());
    assertThat(first.cls()[0]).isNotZero();
    // text is normalised as the corpus: lower case, white space
    assertThat(bert.encode("  A CRANE\tis   Flying ").vectors()).isDeepEqualTo(first.vectors());
  }

  @Test
  void craneDependsOnItsContext() {
    float[] flying = bert.encode("a crane is flying").vector(2);
    float[] driver = bert.encode("a crane driver came").vector(2);
    assertThat(driver).isNotEqualTo(flying);
    double cosine = Bert.cosine(flying, driver);
    assertThat(cosine).isLessThan(0.9999).isGreaterThan(-1.0);
    assertThat(bert.similarity("Crane", "a crane is flying", "a crane driver came")).isCloseTo(cosine, within(1e-12));
    assertThat(bert.similarity("crane", "a crane is flying", "a crane is flying")).isCloseTo(1.0, within(1e-6));
    assertThatThrownBy(() -> bert.similarity("crane", "a crane is flying", "he just left"))
        .isInstanceOf(JbertException.class).hasMessageContaining("'crane' is not in the second context");
  }

  @Test
  void unknownWordsBecomeUnkAndAreReported() {
    Encoding e = bert.encode("a zebra is flying", "the Okapi left");
    assertThat(e.unknownPositions()).containsExactly(2, 7);
    assertThat(e.unknownWords()).containsExactly("zebra", "okapi");
    assertThat(e.vectors()).isDeepEqualTo(bert.encode("a <unk> is flying", "the <unk> left").vectors());
    assertThat(bert.encode("a <unk> is flying").unknownPositions()).isEmpty();
  }

  @Test
  void batchEncodingEqualsOneByOne() {
    List<Input> inputs = List.of(Input.text("a crane is flying"), Input.pair("a crane driver came", "he just left"),
        Input.tokens(List.of("he")), Input.tokens(List.of("the", "game"), List.of("was", "released", "in", "2010")));
    List<Encoding> batch = bert.encodeBatch(inputs);
    assertThat(batch).hasSize(4);
    for (int i = 0; i < inputs.size(); i++) {
      Encoding alone = bert.encode(inputs.get(i));
      assertThat(batch.get(i).tokens()).isEqualTo(alone.tokens());
      assertThat(batch.get(i).length()).isEqualTo(alone.length());
      // padded to the batch's longest input, the matrix products have other shapes and sum in another order:
      // float32 rounding of about 1e-7 of the vectors' scale; 1e-5 of it leaves a wide margin
      float[] got = flatten(batch.get(i).vectors());
      Numeric.assertAllClose("input " + i, got, flatten(alone.vectors()), 1e-5, 0);
    }
    assertThat(bert.encodeBatch(List.of())).isEmpty();
  }

  @Test
  void eightThreadsAtOnceGiveTheSequentialResults() throws Exception {
    List<Input> inputs = new ArrayList<>();
    for (String s : TinyModel.SENTENCES) {
      inputs.add(Input.text(s));
      inputs.add(Input.pair(s, "he just left"));
    }
    List<Encoding> sequential = inputs.stream().map(bert::encode).toList();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<List<Encoding>>> futures = new ArrayList<>();
      for (int thread = 0; thread < 8; thread++) {
        List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
        Collections.rotate(order, thread);
        futures.add(pool.submit(() -> {
          Encoding[] out = new Encoding[inputs.size()];
          for (int rep = 0; rep < 3; rep++) {
            for (int i : order) {
              out[i] = bert.encode(inputs.get(i));
            }
          }
          return List.of(out);
        }));
      }
      for (Future<List<Encoding>> f : futures) {
        List<Encoding> got = f.get();
        for (int i = 0; i < inputs.size(); i++) {
          assertThat(got.get(i).vectors()).isDeepEqualTo(sequential.get(i).vectors());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void callsLeaveNoTensorsBehind() {
    // every tensor a call makes belongs to the call's own pointer scope, freed before it returns: none may escape to
    // the caller's scope (there it would live until the caller's scope closes, or, with none, until the GC runs)
    bert.encode("a crane is flying"); // warm up: the first call creates the cpu Device, kept for good
    Map<String, Long> uses = new java.util.LinkedHashMap<>();
    bert.model().parameters().forEach((name, t) -> uses.put(name, t.use_count()));
    List<String> escaped = new ArrayList<>(); // what escaped, and where in jbert it was made
    try (PointerScope caller = new PointerScope() {
      @Override
      public PointerScope attach(Pointer p) {
        escaped.add(p.getClass().getSimpleName() + " made at " + StackWalker.getInstance().walk(frames -> frames
            .filter(f -> f.getClassName().startsWith("dev.jbert.") && !f.getClassName().startsWith("dev.jbert.encode"
                + ".BertTest")).findFirst().map(Object::toString).orElse("?")));
        return super.attach(p);
      }
    }) {
      bert.encode("a crane is flying");
      bert.encodeBatch(List.of(Input.text("a crane is flying"), Input.pair("a crane driver came", "he just left")));
      bert.fillMask("the game was <mask> in 2010", 3);
      bert.nextSentence("he just left", "a crane is flying");
      bert.similarity("crane", "a crane is flying", "a crane driver came");
    }
    assertThat(escaped).as("pointers attached to the caller's scope").isEmpty();
    // and nothing that outlived the calls holds a parameter (an autograd graph, a leaked view or copy handle)
    bert.model().parameters().forEach((name, t) -> {
      assertThat(t.isNull()).as(name).isFalse();
      assertThat(t.use_count()).as(name + " use_count").isEqualTo(uses.get(name));
    });
  }

  @Test
  void fillMaskIsTheArgMaxOfTheMlmLogitsAndASoftmaxOverTheVocabulary() {
    Vocab vocab = TinyModel.vocab();
    List<MaskPrediction> masks = bert.fillMask("the game was released in <mask>", vocab.size());
    assertThat(masks).hasSize(1);
    MaskPrediction mask = masks.get(0);
    assertThat(mask.position()).isEqualTo(6);
    float[] logits = reference(ids("<cls>", "the", "game", "was", "released", "in", "<mask>", "<sep>"), new long[8],
        new long[] {6})[1];
    assertThat(logits).hasSize(vocab.size());
    int argMax = 0;
    for (int i = 1; i < logits.length; i++) {
      argMax = logits[i] > logits[argMax] ? i : argMax;
    }
    double[] expected = softmax(logits);
    List<MaskPrediction.Prediction> predictions = mask.predictions();
    assertThat(predictions).hasSize(vocab.size());
    assertThat(predictions.get(0).token()).isEqualTo(vocab.token(argMax));
    double sum = 0;
    for (int k = 0; k < predictions.size(); k++) {
      MaskPrediction.Prediction p = predictions.get(k);
      assertThat(p.probability()).isCloseTo(expected[vocab.id(p.token())], within(1e-12));
      if (k > 0) {
        assertThat(p.probability()).isLessThanOrEqualTo(predictions.get(k - 1).probability());
      }
      sum += p.probability();
    }
    assertThat(sum).isCloseTo(1.0, within(1e-9));
    assertThat(bert.fillMask("the game was released in <mask>", 3).get(0).predictions())
        .containsExactlyElementsOf(predictions.subList(0, 3));
  }

  @Test
  void fillMaskAnswersEveryMask() {
    List<MaskPrediction> masks = bert.fillMask("<MASK> game was <mask> in 2010", 2);
    assertThat(masks).extracting(MaskPrediction::position).containsExactly(1, 4);
    assertThat(masks).allSatisfy(m -> assertThat(m.predictions()).hasSize(2));
    assertThatThrownBy(() -> bert.fillMask("the game was released", 5))
        .isInstanceOf(JbertException.class).hasMessageContaining("no <mask>");
    assertThatThrownBy(() -> bert.fillMask("the <mask>", 0)).isInstanceOf(JbertException.class);
  }

  @Test
  void nextSentenceIsTheSoftmaxOfTheNspLogits() {
    float[] logits = reference(ids("<cls>", "he", "just", "left", "<sep>", "a", "crane", "is", "flying", "<sep>"),
        new long[] {0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, null)[2];
    double p = bert.nextSentence("he just left", "a crane is flying");
    assertThat(p).isCloseTo(softmax(logits)[1], within(1e-12)).isStrictlyBetween(0.0, 1.0);
  }

  @Test
  void emptyTextIsRefused() {
    assertThatThrownBy(() -> bert.encode("  ")).isInstanceOf(JbertException.class)
        .hasMessage("the text is empty; give at least one word");
    assertThatThrownBy(() -> bert.encode("a crane", "")).isInstanceOf(JbertException.class)
        .hasMessageContaining("second text of the pair is empty");
  }

  @Test
  void inputLongerThanTheTrainedMaxLenIsRefusedOrTruncated(@TempDir Path tmp) {
    // positions 12..999 of this model were never trained: its run config says max_len 12
    Path run = TinyModel.writeRun(tmp.resolve("run"), 12);
    String words = String.join(" ", Collections.nCopies(11, "crane"));
    try (Bert strict = Bert.load(run)) {
      assertThat(strict.maxLength()).isEqualTo(12);
      assertThat(strict.encode(String.join(" ", Collections.nCopies(10, "crane"))).length()).isEqualTo(12);
      assertThatThrownBy(() -> strict.encode(words)).isInstanceOf(JbertException.class)
          .hasMessage("the input has 13 tokens with <cls> and <sep>, more than the 12 the model was trained for; "
              + "shorten it or truncate it (--truncate)");
      assertThatThrownBy(() -> strict.nextSentence(words, "he just left")).isInstanceOf(JbertException.class)
          .hasMessageContaining("more than the 12 the model was trained for");
    }
    try (Bert truncating = Bert.load(run, true)) {
      Encoding cut = truncating.encode(words);
      assertThat(cut.shape()).containsExactly(1, 12, 128);
      assertThat(cut.truncatedTokens()).isEqualTo(1);
      Encoding pair = truncating.encode(words, "he just left");
      assertThat(pair.length()).isEqualTo(12);
      assertThat(pair.truncatedTokens()).isEqualTo(5);
      assertThat(pair.tokens()).containsExactly("<cls>", "crane", "crane", "crane", "crane", "crane", "crane", "<sep>",
          "he", "just", "left", "<sep>");
    }
  }

  @Test
  void aFolderWithoutARunConfigIsLimitedByThePositionalTable() {
    // a folder saved by ModelFiles.save holds the architecture alone: nothing says how long its training input was
    assertThat(bert.maxLength()).isEqualTo(BertConfig.POSITIONS);
  }

  @Test
  void badFoldersGetOneLineErrors(@TempDir Path tmp) throws Exception {
    assertThatThrownBy(() -> Bert.load(tmp.resolve("nothing"))).isInstanceOf(JbertException.class)
        .hasMessage("no model folder at " + tmp.resolve("nothing") + "; pass a folder written by ./jbert pretrain");
    Path noVocab = Files.createDirectories(tmp.resolve("novocab"));
    TinyModel.write(noVocab);
    Files.delete(noVocab.resolve("vocab.txt"));
    assertThatThrownBy(() -> Bert.load(noVocab)).isInstanceOf(JbertException.class)
        .hasMessage("no vocab.txt in " + noVocab + "; pass a folder written by ./jbert pretrain or a Hugging Face BERT"
            + " folder (vocab.txt or tokenizer.json)");
    Path mismatch = TinyModel.write(Files.createDirectories(tmp.resolve("mismatch")), 3, 1);
    int v = TinyModel.vocab().size();
    assertThatThrownBy(() -> Bert.load(mismatch)).isInstanceOf(JbertException.class)
        .hasMessage(mismatch.resolve("vocab.txt") + " has " + v + " tokens but the model's vocab_size is " + (v + 3)
            + "; use the vocab.txt written by the same ./jbert pretrain run");
  }
}
