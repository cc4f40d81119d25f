package dev.jbert.model;

import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * What both architectures do with named parameter tensors: check a set of weights against a layout, copy it onto a
 * device, and the two layers whose precision rule is jbert's (Linear as torch has it, LayerNorm always in the weights'
 * precision, so fp32 under bf16 autocast too).
 */
final class Parameters {
  private Parameters() {}

  /** The parameter called {@code name}; a missing one is a bug in the model's layout. */
  static Tensor get(Map<String, Tensor> parameters, String name) {
    Tensor t = parameters.get(name);
    if (t == null) {
      throw new IllegalStateException("no parameter " + name);
    }
    return t;
  }

  /** torch.nn.Linear: x W^T + b with W stored (out, in). */
  static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
    return torch.linear(x, weight, new TensorOptional(bias));
  }

  /** torch.nn.LayerNorm(H) over the last axis, computed in the weights' precision (fp32 under autocast too). */
  static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
    ScalarType dtype = Torch.dtype(weight);
    Tensor in = Torch.dtype(x) == dtype ? x : x.to(dtype);
    return torch.layer_norm(in, Torch.shape(weight), new TensorOptional(weight), new TensorOptional(bias), eps, false);
  }

  /**
   * Copies of {@code weights} on {@code device}, requiring gradients, in the order of {@code expected}, after
   * {@link #checkMatches}. The caller keeps ownership of {@code weights}.
   */
  static LinkedHashMap<String, Tensor> copyOf(Map<String, long[]> expected, Map<String, Tensor> weights,
      String device) {
    checkMatches(expected, weights);
    LinkedHashMap<String, Tensor> params = new LinkedHashMap<>();
    try (PointerScope scope = new PointerScope()) {
      for (String name : expected.keySet()) {
        Tensor w = weights.get(name);
        // clone: libtorch's to() returns the tensor itself when it is there already
        params.put(name, Torch.keep(w.detach().to(Torch.device(device), w.scalar_type()).clone()
            .set_requires_grad(true)));
      }
    }
    return params;
  }

  /** Throws a one-line JbertException naming what in {@code weights} does not fit {@code expected}. */
  static void checkMatches(Map<String, long[]> expected, Map<String, Tensor> weights) {
    List<String> problems = new ArrayList<>();
    List<String> missing = expected.keySet().stream().filter(n -> !weights.containsKey(n)).toList();
    if (!missing.isEmpty()) {
      problems.add("missing " + firstFew(missing));
    }
    List<String> unexpected = weights.keySet().stream().filter(n -> !expected.containsKey(n)).toList();
    if (!unexpected.isEmpty()) {
      problems.add("unexpected " + firstFew(unexpected));
    }
    ScalarType dtype = null;
    String dtypeFrom = null;
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      Tensor w = weights.get(e.getKey());
      if (w == null) {
        continue;
      }
      if (!Arrays.equals(Torch.shape(w), e.getValue())) {
        problems.add(e.getKey() + " has shape " + Torch.shapeText(Torch.shape(w)) + ", expected "
            + Torch.shapeText(e.getValue()));
      }
      ScalarType d = Torch.dtype(w);
      if (dtype == null) {
        dtype = d;
        dtypeFrom = e.getKey();
        if (d != ScalarType.Float && d != ScalarType.Double) {
          problems.add(e.getKey() + " has dtype " + BertModel.dtypeName(d) + ", expected float32 or float64");
        }
      } else if (d != dtype) {
        problems.add(e.getKey() + " has dtype " + BertModel.dtypeName(d) + ", expected " + BertModel.dtypeName(dtype)
            + " like " + dtypeFrom);
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

  static void checkDtype(ScalarType dtype, String what) {
    if (dtype != ScalarType.Float && dtype != ScalarType.Double) {
      throw new JbertException(
          what + " dtype " + BertModel.dtypeName(dtype) + " is not supported; use float32 or float64");
    }
  }

}
