package dev.jbert.encode;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.JbertException;
import dev.jbert.Json;
import dev.jbert.Precision;
import dev.jbert.Torch;
import dev.jbert.data.Tokenizer;
import dev.jbert.data.wordpiece.TokenizerFiles;
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
  private final Tokenizer vocab;
  private final boolean truncate;
  private final int maxLength;
  private final Precision precision;

  private Bert(BertModel model, Tokenizer vocab, boolean truncate, int maxLength, Precision precision) {
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
   * Loads {@code model.safetensors}, {@code config.json} and {@code vocab.txt} from {@code dir}; the tokenizer is the
   * one config.json names ({@code data.tokenizer.kind}: d2l's words when it names none), WordPiece read with its
   * casing from the folder's {@code tokenizer.json}.
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
    for (String name : List.of(ModelFiles.CONFIG, ModelFiles.WEIGHTS)) {
      if (!Files.isRegularFile(dir.resolve(name))) {
        throw new JbertException(
            "no " + name + " in " + dir + "; pass a folder written by ./jbert pretrain or a Hugging Face BERT folder");
      }
    }
    if (!Files.isRegularFile(dir.resolve(VOCAB)) && !Files.isRegularFile(dir.resolve(TokenizerFiles.TOKENIZER_JSON))) {
      throw new JbertException("no " + VOCAB + " in " + dir + "; pass a folder written by ./jbert pretrain or a Hugging"
          + " Face BERT folder (vocab.txt or tokenizer.json)");
    }
    Tokenizer vocab = Tokenizer.read(dir, RunFolder.tokenizerKind(dir));
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

  private static JsonNode config(Path dir) {
    try {
      return Json.mapper().readTree(dir.resolve(ModelFiles.CONFIG).toFile());
    } catch (IOException e) {
      throw new JbertException("cannot read " + dir.resolve(ModelFiles.CONFIG) + ": " + e.getMessage(), e);
    }
  }

  /**
   * The longest input the model in {@code dir} was trained on: {@code data.max_len} of a run folder's config.json;
   * empty for a folder that holds the architecture alone.
   */
  static OptionalInt trainedLength(Path dir) {
    JsonNode maxLen = config(dir).path("data").path("max_len");
    return maxLen.isInt() ? OptionalInt.of(maxLen.intValue()) : OptionalInt.empty();
  }

  /** The run's tokenizer: d2l's words or WordPiece. */
  public Tokenizer vocab() {
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
   * For each mask token in {@code text} (in order; {@code <mask>} for d2l's words, {@code [MASK]} for WordPiece), the
   * {@code top} most probable tokens from the MLM head, with probabilities from a softmax over the whole vocabulary,
   * and the whole word each makes there.
   */
  public List<MaskPrediction> fillMask(String text, int top) {
    if (top < 1) {
      throw new JbertException("top must be at least 1, got " + top);
    }
    Packed p = pack(Input.text(text));
    List<Integer> masks = new ArrayList<>();
    for (int i = 0; i < p.length(); i++) {
      if (p.ids()[i] == vocab.specials().mask()) {
        masks.add(i);
      }
    }
    String mask = vocab.token(vocab.specials().mask());
    if (masks.isEmpty()) {
      throw new JbertException("no " + mask + " in the text; write " + mask + " where a word should be predicted");
    }
    long[] positions = masks.stream().mapToLong(Integer::longValue).toArray();
    float[] logits = run(List.of(p), encoded -> floats(
        model.mlmLogits(encoded, Torch.longs(positions, 1, positions.length)))); // (1, P, V)
    int v = vocab.size();
    List<MaskPrediction> out = new ArrayList<>(masks.size());
    for (int k = 0; k < masks.size(); k++) {
      int at = masks.get(k);
      double[] probs = softmax(Arrays.copyOfRange(logits, k * v, (k + 1) * v));
      List<MaskPrediction.Prediction> best = IntStream.range(0, v).boxed()
          .sorted(Comparator.<Integer>comparingDouble(i -> -probs[i]).thenComparingInt(i -> i))
          .limit(top)
          .map(i -> new MaskPrediction.Prediction(vocab.token(i), probs[i], wordAt(p.tokens(), at, vocab.token(i))))
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
   * The whole word that {@code token} makes at {@code position} of {@code tokens}: joined with the {@code ##} pieces
   * around it (WordPiece); the token itself for d2l's words.
   */
  private String wordAt(List<String> tokens, int position, String token) {
    List<String> filled = new ArrayList<>(tokens);
    filled.set(position, token);
    int from = position;
    while (from > 0 && vocab.isContinuation(filled.get(from))) {
      from--;
    }
    int to = position + 1;
    while (to < filled.size() && vocab.isContinuation(filled.get(to))) {
      to++;
    }
    return String.join(" ", vocab.joinWords(filled.subList(from, to)));
  }

  /**
   * The cosine similarity of {@code word}'s vectors in two contexts (its first occurrence in each). A word of several
   * WordPiece pieces is represented by the mean of its pieces' vectors (one piece, or one of d2l's words: its own
   * vector). BERT is context sensitive, so this is below 1 when the contexts differ.
   */
  public double similarity(String word, String contextA, String contextB) {
    List<String> pieces = vocab.tokenize(word == null ? "" : word);
    List<String> words = vocab.joinWords(pieces);
    if (words.size() != 1) {
      throw new JbertException("give one word to compare, got '" + word + "'");
    }
    String w = words.get(0);
    int unk = vocab.specials().unk();
    String unkToken = vocab.token(unk);
    if (pieces.stream().anyMatch(piece -> vocab.id(piece) == unk)
        && !word.strip().toLowerCase(Locale.ROOT).equals(unkToken.toLowerCase(Locale.ROOT))) {
      throw new JbertException("the word '" + w + "' is not in the model's vocabulary, so both contexts would give"
          + " it the vector of " + unkToken + " there; choose a word of its vocab.txt");
    }
    Encoding a = encode(contextA); // one by one, so the vectors are exactly encode's
    Encoding b = encode(contextB);
    float[] x = meanOf(a, position(w, pieces, a, "first"), pieces.size());
    float[] y = meanOf(b, position(w, pieces, b, "second"), pieces.size());
    return cosine(x, y);
  }

  /** The first position, between {@code <cls>} and the last {@code <sep>}, where the whole word's pieces stand. */
  private int position(String word, List<String> pieces, Encoding e, String which) {
    List<String> tokens = e.tokens();
    for (int i = 1; i + pieces.size() <= tokens.size() - 1; i++) {
      boolean whole = i + pieces.size() == tokens.size() || !vocab.isContinuation(tokens.get(i + pieces.size()));
      if (whole && tokens.subList(i, i + pieces.size()).equals(pieces)) {
        return i;
      }
    }
    throw new JbertException("the word '" + word + "' is not in the " + which + " context: "
        + String.join(" ", tokens.subList(1, tokens.size() - 1)));
  }

  /** The mean of rows {@code from .. from + n} of {@code e}: row {@code from} itself when n is 1. */
  private static float[] meanOf(Encoding e, int from, int n) {
    float[] mean = new float[e.hidden()];
    for (int i = from; i < from + n; i++) {
      for (int j = 0; j < mean.length; j++) {
        mean[j] += e.vector(i)[j];
      }
    }
    for (int j = 0; j < mean.length; j++) {
      mean[j] /= n;
    }
    return mean;
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
    Arrays.fill(ids, vocab.specials().pad());
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
