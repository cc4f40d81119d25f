package dev.jbert.train;

import dev.jbert.JbertException;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.global.torch;

/**
 * Parses {@code --devices}: {@code cpu}, {@code gpu} (GPU 0), {@code gpu:0,1}, or {@code all} (every GPU, else CPU),
 * into libtorch's device names ({@code cpu}, {@code cuda:0}, ...).
 */
public final class DeviceSpec {
  private DeviceSpec() {}

  /** Parses {@code spec} against the GPUs libtorch sees in this process. */
  public static List<String> parse(String spec) {
    dev.jbert.Torch.load();
    return parse(spec, torch.cuda_device_count());
  }

  public static List<String> parse(String spec, int gpuCount) {
    String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
    if (s.equals("all")) {
      return gpuCount == 0 ? List.of("cpu") : gpus(range(gpuCount), gpuCount);
    }
    if (s.equals("cpu")) {
      return List.of("cpu");
    }
    if (s.equals("gpu")) {
      return gpus(List.of(0), gpuCount);
    }
    if (s.startsWith("gpu:")) {
      List<Integer> ids = new ArrayList<>();
      for (String id : s.substring(4).split(",")) {
        try {
          ids.add(Integer.parseInt(id.trim()));
        } catch (NumberFormatException e) {
          throw bad(spec);
        }
      }
      if (ids.stream().distinct().count() != ids.size()) {
        throw new JbertException("--devices " + spec + " names a GPU twice: name each GPU once");
      }
      return gpus(ids, gpuCount);
    }
    throw bad(spec);
  }

  private static List<String> gpus(List<Integer> ids, int gpuCount) {
    for (int id : ids) {
      if (id < 0 || id >= gpuCount) {
        throw new JbertException("GPU " + id + " is not available (this machine has " + gpuCount + " GPU"
            + (gpuCount == 1 ? "" : "s") + " visible to libtorch): pass --devices cpu, or build jbert with libtorch's"
            + " CUDA build (mvn -Pgpu package, see README)");
      }
    }
    return ids.stream().map(id -> "cuda:" + id).toList();
  }

  private static List<Integer> range(int n) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(i);
    }
    return ids;
  }

  private static JbertException bad(String spec) {
    return new JbertException("--devices " + spec + " is not understood: use cpu, gpu, gpu:0,1 or all");
  }
}
