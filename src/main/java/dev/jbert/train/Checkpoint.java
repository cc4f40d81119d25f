package dev.jbert.train;

import dev.jbert.JbertException;
import dev.jbert.model.BertModel;
import dev.jbert.model.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * Everything needed to continue a run exactly: the weights ({@code model.<name>}), Adam's moments
 * ({@code adam.m.<name>}, {@code adam.v.<name>}), and in the safetensors metadata the number of steps done, Adam's
 * step count, the data position (global index of the next batch) and the seed. The random state needs no more: the
 * batch order is a function of (seed, epoch) and the dropout masks of (seed, step).
 */
public record Checkpoint(Map<String, Tensor> weights, Map<String, Tensor> adamState, int step, long adamSteps,
    long batchPosition, long seed) {

  static final String FORMAT = "jbert-checkpoint-1";

  public static void save(Path file, BertModel model, Adam adam, int step, long batchPosition, long seed) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    model.parameters().forEach((k, v) -> tensors.put("model." + k, v));
    tensors.putAll(adam.state());
    SafeTensors.write(file, tensors, Map.of(
        "format", FORMAT,
        "step", Integer.toString(step),
        "adam_steps", Long.toString(adam.steps()),
        "batch_position", Long.toString(batchPosition),
        "seed", Long.toString(seed)));
  }

  /** The number of steps done when {@code file} was written, from its metadata alone. */
  public static int stepOf(Path file) {
    return Integer.parseInt(checkedMetadata(file).get("step"));
  }

  private static Map<String, String> checkedMetadata(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new JbertException("no checkpoint at " + file + ": --resume needs a run folder written by ./jbert pretrain");
    }
    Map<String, String> meta = SafeTensors.readMetadata(file);
    if (!FORMAT.equals(meta.get("format"))) {
      throw new JbertException(file + " is not a jbert checkpoint (format " + meta.get("format") + ")");
    }
    return meta;
  }

  /** The checkpoint's tensors on {@code device}, in the caller's pointer scope. */
  public static Checkpoint load(Path file, String device) {
    Map<String, String> meta = checkedMetadata(file);
    Map<String, Tensor> weights = new LinkedHashMap<>();
    Map<String, Tensor> adam = new LinkedHashMap<>();
    SafeTensors.read(file, device).forEach((k, v) -> {
      if (k.startsWith("model.")) {
        weights.put(k.substring("model.".length()), v);
      } else {
        adam.put(k, v);
      }
    });
    return new Checkpoint(weights, adam, Integer.parseInt(meta.get("step")), Long.parseLong(meta.get("adam_steps")),
        Long.parseLong(meta.get("batch_position")), Long.parseLong(meta.get("seed")));
  }
}
