package dev.jbert.model;

import dev.jbert.Torch;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A BERT for pretraining, whichever architecture {@link BertConfig#arch()} names: d2l's ({@link D2lBertModel}) or
 * Google's and Hugging Face's ({@link HfBertModel}). Training, evaluation, checkpoints and the encoder use only this:
 * the encoder output, the MLM head on gathered rows, the pooler and the NSP head, and the named parameters.
 *
 * <p>Forward makes its activations in the caller's pointer scope and holds no mutable state, so it may run on several
 * threads at once. The parameters are kept outside any scope until {@link #close()}. NSP logits follow d2l's labels
 * whatever the architecture: index 1 = "b follows a".
 */
public interface BertModel extends AutoCloseable {

  /**
   * The encoder output.
   *
   * @param tokens int64 (B, T)
   * @param segments int64 (B, T), 0 or 1
   * @param validLens float32 (B): keys at index >= validLens[b] are masked
   * @param keys the dropout masks' keys; null in inference
   * @return (B, T, H)
   */
  Tensor encode(Tensor tokens, Tensor segments, Tensor validLens, Dropout.Keys keys);

  /** The encoder output in inference (no dropout). */
  default Tensor encode(Tensor tokens, Tensor segments, Tensor validLens) {
    return encode(tokens, segments, validLens, null);
  }

  /** The MLM head on rows of the encoder output already gathered: (..., H) -> (..., V). */
  Tensor mlmHead(Tensor rows);

  /** encoded (B, T, H), predPositions int64 (B, P) -> MLM logits (B, P, V). */
  default Tensor mlmLogits(Tensor encoded, Tensor predPositions) {
    return mlmHead(gather(encoded, predPositions));
  }

  /** encoded (B, T, H) -> (B, H): the pooler (Linear + Tanh) on {@code <cls>}, Hugging Face's {@code pooler_output}. */
  Tensor pooled(Tensor encoded);

  /** encoded (B, T, H) -> NSP logits (B, 2), index 1 = is next (d2l's label). */
  Tensor nspLogits(Tensor encoded);

  /** encode, then the MLM head (when {@code predPositionsOrNull} is not null) and the NSP head. */
  default BertOutput forward(
      Tensor tokens, Tensor segments, Tensor validLens, Tensor predPositionsOrNull, Dropout.Keys keys) {
    Tensor encoded = encode(tokens, segments, validLens, keys);
    Tensor mlm = predPositionsOrNull == null ? null : mlmLogits(encoded, predPositionsOrNull);
    return new BertOutput(encoded, mlm, nspLogits(encoded));
  }

  BertConfig config();

  /** The parameters, unmodifiable, in state_dict order; each trained tensor once (a tied one under one name). */
  Map<String, Tensor> parameters();

  /** A copy of every weight on {@code device}, requiring gradients (for data parallelism). Close it to free it. */
  BertModel replicate(String device);

  /** Frees the parameters (and their gradients). */
  @Override
  void close();

  default ScalarType dataType() {
    return Torch.dtype(parameters().values().iterator().next());
  }

  /** {@code cpu} or {@code cuda:N}. */
  default String device() {
    return Torch.deviceName(parameters().values().iterator().next());
  }

  default long parameterCount() {
    long n = 0;
    for (Tensor t : parameters().values()) {
      n += t.numel();
    }
    return n;
  }

  /** encoded (B, T, H), positions int64 (B, P) -> (B, P, H): row {@code positions[b, p]} of example b. */
  static Tensor gather(Tensor encoded, Tensor positions) {
    if (Torch.dtype(positions) != ScalarType.Long) {
      throw new IllegalArgumentException("prediction positions must be int64, got " + Torch.dtype(positions));
    }
    long[] e = Torch.shape(encoded);
    long[] s = Torch.shape(positions);
    Tensor index = positions.reshape(s[0], s[1], 1).expand(s[0], s[1], e[2]); // (B, P, H)
    return torch.gather(encoded, 1, index);
  }

  /** The parameter names and shapes of {@code cfg}'s architecture, in state_dict order. */
  static LinkedHashMap<String, long[]> parameterShapes(BertConfig cfg) {
    return switch (cfg.arch()) {
      case D2L -> D2lBertModel.parameterShapes(cfg);
      case BERT -> HfBertModel.parameterShapes(cfg);
    };
  }

  /**
   * A new model of {@code cfg}'s architecture, initialised as that architecture is in PyTorch, drawn after
   * {@code torch.manual_seed(seed)}.
   *
   * @param dtype Float or Double
   * @param device {@code cpu} or {@code cuda:N}
   */
  static BertModel create(BertConfig cfg, ScalarType dtype, String device, long seed) {
    return switch (cfg.arch()) {
      case D2L -> D2lBertModel.create(cfg, dtype, device, seed);
      case BERT -> HfBertModel.create(cfg, dtype, device, seed);
    };
  }

  /**
   * A model holding copies of {@code weights} on {@code device}. The names, shapes and dtypes must match
   * {@link #parameterShapes(BertConfig)}; all tensors share one dtype, Float or Double. The caller keeps ownership of
   * {@code weights}.
   */
  static BertModel fromParameters(BertConfig cfg, String device, Map<String, Tensor> weights) {
    return switch (cfg.arch()) {
      case D2L -> D2lBertModel.fromParameters(cfg, device, weights);
      case BERT -> HfBertModel.fromParameters(cfg, device, weights);
    };
  }

  /** float32, float64, ...: the names PyTorch prints. */
  static String dtypeName(ScalarType d) {
    return switch (d) {
      case Float -> "float32";
      case Double -> "float64";
      case Half -> "float16";
      case BFloat16 -> "bfloat16";
      case Long -> "int64";
      case Int -> "int32";
      default -> d.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

}
