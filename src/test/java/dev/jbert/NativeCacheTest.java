package dev.jbert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first start on an empty JavaCPP cache (docs/engine.md, section 1): two JVMs unpacking libtorch at the same time.
 * Without {@link Torch#load()} extracting every library before the first is loaded, the second JVM's dlopen of the stub
 * libtorch.so maps the other's half-written libtorch_cpu.so and dies of SIGBUS or SIGSEGV in ld.so: 5 of 8 pairs there,
 * and within the first two pairs of this test (twice of two) when FirstStart called {@code Loader.load(torch.class)}
 * instead.
 */
class NativeCacheTest {
  /** What a child JVM does: load libtorch the way jbert does, then one small op, and print its result. */
  public static final class FirstStart {
    public static void main(String[] args) {
      Torch.load();
      try (PointerScope scope = new PointerScope()) {
        Tensor x = Torch.floats(new float[] {1, 2, 3, 4}, 2, 2);
        System.out.println("sum " + Torch.item(x.matmul(x).sum())); // [[7, 10], [15, 22]]
      }
    }
  }

  private static final int PAIRS = 3;

  @Test
  void twoJvmsStartingTogetherOnAnEmptyCacheBothLoadLibtorch(@TempDir Path tmp) throws Exception {
    String cpu = "/org/bytedeco/pytorch/" + Loader.getPlatform() + "/libtorch_cpu.so";
    URL resource = Loader.class.getResource(cpu);
    assertThat(resource).as(cpu + " in the class path").isNotNull();
    long jarSize = resource.openConnection().getContentLengthLong();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int pair = 0; pair < PAIRS; pair++) {
        Path cache = Files.createDirectory(tmp.resolve("cache" + pair));
        List<String> jvmArgs = List.of("-Dorg.bytedeco.javacpp.cachedir=" + cache, "-XX:+UseSerialGC", "-Xmx256m");
        List<Future<ChildJvm.Result>> jvms = new ArrayList<>();
        for (int j = 0; j < 2; j++) {
          jvms.add(pool.submit(() -> ChildJvm.run(FirstStart.class, jvmArgs, tmp, Map.of(), 300)));
        }
        for (int j = 0; j < 2; j++) {
          ChildJvm.Result r = jvms.get(j).get();
          // a crash exits 134 and says what on stdout ("A fatal error has been detected ... SIGBUS")
          assertThat(r.exitCode()).as("pair %d, JVM %d; stdout:%n%s%nstderr:%n%s", pair, j, r.stdout(), r.stderr())
              .isZero();
          assertThat(r.stdout()).as("pair %d, JVM %d", pair, j).isEqualTo("sum 54.0\n");
        }
        // and the cache holds the whole library, as a later start loads it
        List<Path> extracted;
        try (Stream<Path> files = Files.walk(cache)) {
          extracted = files.filter(f -> f.getFileName().toString().equals("libtorch_cpu.so")).toList();
        }
        assertThat(extracted).as("libtorch_cpu.so in " + cache).hasSize(1);
        assertThat(Files.size(extracted.get(0))).isEqualTo(jarSize);
        deleteTree(cache); // 400 MB each
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
