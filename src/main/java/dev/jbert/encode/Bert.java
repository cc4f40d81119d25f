package dev.jbert.encode;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.JbertException;
import dev.jbert.Json;
import dev.jbert.Precision;
import dev.jbert.Torch;
import dev.jbert.data.Vocab;
import dev.jbert.model.BertModel;
import dev.jbert.model.ModelFiles;
import dev.jbert.train.RunFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;

/**
 * A pretrained BERT from a run folder of {@code ./jbert pretrain}, for inference (spec section 9): encode text and
 * pairs, fill {@code <mask>}s, predict the next sentence, compare a word's vectors in two contexts.
 *
 * <p>Inference: no dropout and no autograd graph (libtorch's inference mode on the calling thread), so the same input
 * always gives the same vectors. Every call runs in its own pointer scope, closed before it returns, so it frees every
 * tensor it made; results are Java arrays. Calls may come from many threads at once. The longest input is the {@code max_len} the model
 * was pretrained with (a run folder's {@code data.max_len}): positions past it were never trained, so their vectors are
 * still random. A folder without a run's config is limited by the positional table ({@code max_positions}).
 */
public final class Bert implements AutoCloseable {
  /** The vocabulary file of a model folder: a run folder's. */
  public static final String VOCAB = RunFolder.VOCAB;

  private final BertModel model;
  private final Vocab vocab;
  private final boolean truncate;
  private final int maxLength;
  private final Precision precision;

  private Bert(BertModel model, Vocab vocab, boolean truncate, int maxLength, Precision precision) {
    this.precision = precision;
    this.model = model;
    this.vocab = vocab;
    this.truncate = truncate;
    this.maxLength = maxLength;
  }

  /** Loads {@code dir}; input longer than the model's positions is an error. */
  public static Bert load(Path dir) {
    return load(dir, false);
  }

  /**
   * Loads {@code model.safetensors}, {@code config.json} and {@code vocab.txt} from {@code dir}.
   *
   * @param truncate whether input longer than the model's positions is cut (the longer segment first) instead of refused
   */
  public static Bert load(Path dir, boolean truncate) {
    return load(dir, truncate, Precision.FP32);
  }

  /**
   * As {@link #load(Path, boolean)}, running the matrix products in {@code precision} (bf16: under autocast, the
   * vectors then differ from fp32's in about the third significant digit).
   */
  public static Bert load(Path dir, boolean truncate, Precision precision) {
    if (!Files.isDirectory(dir)) {
      throw new JbertException("no model folder at " + dir + "; pass a folder written by ./jbert pretrain");
    }
    for (String name : List.of(ModelFiles.CONFIG, ModelFiles.WEIGHTS, VOCAB)) {
      if (!Files.isRegularFile(dir.resolve(name))) {
        throw new JbertException(
            "no " + name + " in " + dir + "; pass a folder written by ./jbert pretrain");
      }
    }
    Vocab vocab = Vocab.load(dir.resolve(VOCAB));
    BertModel model = ModelFiles.load(dir, "cpu");
    try {
      int modelVocab = model.config().vocabSize();
      if (vocab.size() != modelVocab) {
        throw new JbertException(dir.resolve(VOCAB) + " has " + vocab.size() + " tokens but the model's vocab_size is "
            + modelVocab + "; use the vocab.txt written by the same ./jbert pretrain run");
      }
      int trained = trainedLength(dir).orElse(model.config().maxPositions());
      return new Bert(model, vocab, truncate, Math.min(trained, model.config().maxPositions()), precision);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * The longest input the model in {@code dir} was trained on: {@code data.max_len} of a run folder's config.json;
   * empty for a folder that holds the architecture alone.
   */
  static OptionalInt trainedLength(Path dir) {
    try {
      JsonNode maxLen = Json.mapper().readTree(dir.resolve(ModelFiles.CONFIG).toFile()).path("data").path("max_len");
      return maxLen.isInt() ? OptionalInt.of(maxLen.intValue()) : OptionalInt.empty();
    } catch (IOException e) {
      throw new JbertException("cannot read " + dir.resolve(ModelFiles.CONFIG) + ": " + e.getMessage(), e);
    }
  }

  public Vocab vocab() {
    return vocab;
  }

  /** The loaded model (its architecture in {@code config()}); do not close it, close this instead. */
  public BertModel model() {
    return model;
  }

  /** The longest input in tokens, {@code <cls>} and {@code <sep>} included: the max_len the model was trained with. */
  public int maxLength() {
    return maxLength;
  }

  public Encoding encode(String a) {
    return encode(Input.text(a));
  }

  public Encoding encode(String a, String b) {
    return encode(Input.pair(a, b));
  }

  public Encoding encode(List<String> aTokens) {
    return encode(Input.tokens(aTokens));
  }

  public Encoding encode(List<String> aTokens, List<String> bTokens) {
    return encode(Input.tokens(aTokens, bTokens));
  }

  public Encoding encode(Input input) {
    return encodeBatch(List.of(input)).get(0);
  }

  /**
   * Encodes all inputs in one forward pass, padded with {@code <pad>} to the longest and masked by valid length; each
   * result holds its own rows only. The values equal {@link #encode(Input)}'s up to float rounding (about 1e-6), since
   * libtorch sums in a different order for a different batch shape.
   */
  public List<Encoding> encodeBatch(List<Input> inputs) {
    if (inputs.isEmpty()) {
      return List.of();
    }
    List<Packed> packed = inputs.stream().map(this::pack).toList();
    int h = model.config().hidden();
    Outputs outputs = run(packed, encoded -> new Outputs(rows(encoded, packed), floats(model.pooled(encoded))));
    float[][][] vectors = outputs.rows();
    float[] pooled = outputs.pooled(); // (B, H)
    List<Encoding> out = new ArrayList<>(packed.size());
    for (int i = 0; i < packed.size(); i++) {
      Packed p = packed.get(i);
      out.add(new Encoding(p.tokens(), p.unknownPositions(), vectors[i], p.truncatedTokens(),
          Arrays.copyOfRange(pooled, i * h, (i + 1) * h)));
    }
    return out;
  }

  /**
   * For each {@code <mask>} in {@code text} (in order), the {@code top} most probable tokens from the MLM head, with
   * probabilities from a softmax over the whole vocabulary.
   */
  public List<MaskPrediction> fillMask(String text, int top) {
    if (top < 1) {
      throw new JbertException("top must be at least 1, got " + top);
    }
    Packed p = pack(Input.text(text));
    List<Integer> masks = new ArrayList<>();
    for (int i = 0; i < p.length(); i++) {
      if (p.ids()[i] == Vocab.MASK) {
        masks.add(i);
      }
    }
    if (masks.isEmpty()) {
      throw new JbertException("no <mask> in the text; write <mask> where a word should be predicted");
    }
    long[] positions = masks.stream().mapToLong(Integer::longValue).toArray();
    float[] logits = run(List.of(p), encoded -> floats(
        model.mlmLogits(encoded, Torch.longs(positions, 1, positions.length)))); // (1, P, V)
    int v = vocab.size();
    List<MaskPrediction> out = new ArrayList<>(masks.size());
    for (int k = 0; k < masks.size(); k++) {
      double[] probs = softmax(Arrays.copyOfRange(logits, k * v, (k + 1) * v));
      List<MaskPrediction.Prediction> best = IntStream.range(0, v).boxed()
          .sorted(Comparator.<Integer>comparingDouble(i -> -probs[i]).thenComparingInt(i -> i))
          .limit(top)
          .map(i -> new MaskPrediction.Prediction(vocab.token(i), probs[i]))
          .toList();
      out.add(new MaskPrediction(masks.get(k), best));
    }
    return out;
  }

  /** The probability that {@code b} follows {@code a}: softmax of the NSP logits, index 1 = is next (d2l). */
  public double nextSentence(String a, String b) {
    Packed p = pack(Input.pair(a, b));
    float[] logits = run(List.of(p), encoded -> floats(model.nspLogits(encoded))); // (1, 2)
    return softmax(logits)[1];
  }

  /**
   * The cosine similarity of {@code word}'s vectors in two contexts (its first occurrence in each). BERT is context
   * sensitive, so this is below 1 when the contexts differ.
   */
  public double similarity(String word, String contextA, String contextB) {
    List<String> words = dev.jbert.data.Paragraphs.tokenize(word == null ? "" : word);
    if (words.size() != 1) {
      throw new JbertException("give one word to compare, got '" + word + "'");
    }
    String w = words.get(0);
    if (vocab.id(w) == Vocab.UNK && !w.equals(Vocab.RESERVED.get(Vocab.UNK))) {
      throw new JbertException("the word '" + w + "' is not in the model's vocabulary, so both contexts would give"
          + " it the vector of <unk> there; choose a word of its vocab.txt");
    }
    Encoding a = encode(contextA); // one by one, so the vectors are exactly encode's
    Encoding b = encode(contextB);
    float[] x = a.vector(position(w, a, "first"));
    float[] y = b.vector(position(w, b, "second"));
    return cosine(x, y);
  }

  private static int position(String word, Encoding e, String which) {
    int at = e.tokens().subList(1, e.length() - 1).indexOf(word);
    if (at < 0) {
      throw new JbertException("the word '" + word + "' is not in the " + which + " context: "
          + String.join(" ", e.tokens().subList(1, e.length() - 1)));
    }
    return at + 1;
  }

  static double cosine(float[] x, float[] y) {
    double dot = 0;
    double xx = 0;
    double yy = 0;
    for (int i = 0; i < x.length; i++) {
      dot += (double) x[i] * y[i];
      xx += (double) x[i] * x[i];
      yy += (double) y[i] * y[i];
    }
    return dot / Math.sqrt(xx * yy);
  }

  static double[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] p = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp(logits[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  private Packed pack(Input input) {
    return Packed.of(input, vocab, maxLength(), truncate);
  }

  /** Per input its rows (L_i, H), and the pooled vectors of all inputs, (B, H) flat. */
  private record Outputs(float[][][] rows, float[] pooled) {}

  /** What to compute from the encoder output (B, L, H), inside the call's scope; returns Java data. */
  @FunctionalInterface
  private interface Head<T> {
    T apply(Tensor encoded);
  }

  /** One inference forward pass of {@code batch}, padded with {@code <pad>} to the longest, in its own scope. */
  private <T> T run(List<Packed> batch, Head<T> head) {
    int b = batch.size();
    int l = batch.stream().mapToInt(Packed::length).max().orElseThrow();
    long[] ids = new long[b * l];
    long[] segments = new long[b * l];
    float[] valid = new float[b];
    Arrays.fill(ids, Vocab.PAD);
    for (int i = 0; i < b; i++) {
      Packed p = batch.get(i);
      System.arraycopy(p.ids(), 0, ids, i * l, p.length());
      System.arraycopy(p.segments(), 0, segments, i * l, p.length());
      valid[i] = p.length();
    }
    try (PointerScope scope = new PointerScope(); InferenceMode inference = new InferenceMode();
        Precision.Autocast autocast = precision.autocast("cpu")) {
      Tensor encoded = model.encode(Torch.longs(ids, b, l), Torch.longs(segments, b, l), Torch.floats(valid, b));
      return head.apply(encoded); // (B, L, H)
    }
  }

  private static float[] floats(Tensor x) {
    return Torch.toFloats(x);
  }

  /** encoded (B, L, H) -> per input its first L_i rows. */
  private static float[][][] rows(Tensor encoded, List<Packed> batch) {
    int l = (int) encoded.size(1);
    int h = (int) encoded.size(2);
    float[] all = floats(encoded);
    float[][][] out = new float[batch.size()][][];
    for (int i = 0; i < batch.size(); i++) {
      int li = batch.get(i).length();
      out[i] = new float[li][];
      for (int t = 0; t < li; t++) {
        int from = (i * l + t) * h;
        out[i][t] = Arrays.copyOfRange(all, from, from + h);
      }
    }
    return out;
  }

  /** Frees the model. */
  @Override
  public void close() {
    model.close();
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "Bert(vocab %d, hidden %d, layers %d, max length %d)",
        vocab.size(), model.config().hidden(), model.config().layers(), maxLength());
  }
}
