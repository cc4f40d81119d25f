package dev.jbert.train;

import ai.djl.Device;
import dev.jbert.JbertException;
import java.util.ArrayList;
import java.util.List;

/** Parses {@code --devices}: {@code cpu}, {@code gpu} (GPU 0), {@code gpu:0,1}, or {@code all} (every GPU, else CPU). */
public final class DeviceSpec {
  private DeviceSpec() {}

  public static List<Device> parse(String spec, int gpuCount) {
    String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
    if (s.equals("all")) {
      return gpuCount == 0 ? List.of(Device.cpu()) : gpus(range(gpuCount), gpuCount);
    }
    if (s.equals("cpu")) {
      return List.of(Device.cpu());
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

  private static List<Device> gpus(List<Integer> ids, int gpuCount) {
    for (int id : ids) {
      if (id < 0 || id >= gpuCount) {
        throw new JbertException("GPU " + id + " is not available (this machine has " + gpuCount + " GPU"
            + (gpuCount == 1 ? "" : "s") + " visible to libtorch): pass --devices cpu, or point PYTORCH_LIBRARY_PATH"
            + " at a CUDA build of libtorch 2.7.1 (see README)");
      }
    }
    return ids.stream().map(Device::gpu).toList();
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
