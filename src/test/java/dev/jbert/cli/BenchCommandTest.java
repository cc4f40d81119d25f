package dev.jbert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.Json;
import dev.jbert.TestData;
import dev.jbert.ChildJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jbert bench} through the command line: the keys it reports, and no result without a timed step. */
class BenchCommandTest {
  private static CliRun bench(String... args) {
    List<String> all = new ArrayList<>(List.of("bench", "--data", TestData.sharedZip().toString()));
    all.addAll(List.of(args));
    return CliRun.run(all.toArray(String[]::new));
  }

  @Test
  void zeroTimedStepsIsAnErrorNotANaN() {
    CliRun r = bench("--steps", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip()).isEqualTo("error: --steps must be at least 1 (timed steps), got 0");
  }

  @Test
  void anUnknownPresetOrAllReduceTimingIsOneLine() {
    CliRun r = bench("--preset", "huge");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).startsWith("error: unknown model preset 'huge'; use one of d2l, base, large,");
    r = bench("--allreduce", "sometimes");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip())
        .isEqualTo("error: --allreduce sometimes is not understood: use overlapped or after-backward");
  }

  @Test
  void jsonReportsEveryKeyWithFiniteValuesThatAddUp() throws Exception {
    CliRun r = bench("--steps", "1", "--warmup", "0", "--batch-size", "64", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode m = Json.mapper().readTree(r.out());
    List<String> keys = new ArrayList<>();
    m.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactlyInAnyOrder("device", "precision", "pairs_per_s", "step_ms", "data_ms", "forward_ms",
        "backward_ms", "optimizer_ms", "model_gflops", "matmul_gflops", "flop_ratio", "peak_rss_mb", "processes",
        "allreduce_ms", "preset", "allreduce", "buckets", "buckets_during_backward");
    // what ran: the defaults
    assertThat(m.get("preset").asText()).isEqualTo("d2l");
    assertThat(m.get("device").asText()).isEqualTo("cpu");
    assertThat(m.get("precision").asText()).isEqualTo("fp32");
    assertThat(m.get("processes").asInt()).isEqualTo(1);
    assertThat(m.get("allreduce_ms").asDouble()).isZero(); // one process: nothing to exchange
    assertThat(m.get("allreduce").asText()).isEmpty();
    assertThat(m.get("buckets").asInt()).isZero();
    assertThat(m.get("buckets_during_backward").asDouble()).isZero();
    keys.removeAll(List.of("preset", "device", "precision", "processes", "allreduce_ms", "allreduce", "buckets",
        "buckets_during_backward"));
    for (String k : keys) {
      assertThat(m.get(k).asDouble()).as(k).isPositive().isFinite();
    }
    // 64 pairs in one step
    assertThat(m.get("pairs_per_s").asDouble() * m.get("step_ms").asDouble() / 1e3)
        .isCloseTo(64, org.assertj.core.api.Assertions.within(0.5));
    double phases = m.get("data_ms").asDouble() + m.get("forward_ms").asDouble() + m.get("backward_ms").asDouble()
        + m.get("optimizer_ms").asDouble();
    assertThat(phases).isLessThanOrEqualTo(m.get("step_ms").asDouble() * 1.01);
    assertThat(m.get("flop_ratio").asDouble())
        .isCloseTo(m.get("model_gflops").asDouble() / m.get("matmul_gflops").asDouble(),
            org.assertj.core.api.Assertions.within(1e-9));
  }

  @Test
  void twoProcessesReportTheSameKeysWithTheAllReduceTime(@TempDir Path tmp) throws Exception {
    // the launcher in a JVM of its own, as a user starts it; it starts the two workers, rank 0 prints
    ChildJvm.Result r = ChildJvm.run(JbertCli.class, List.of("-Xmx256m"), tmp, Map.of(), 300, "bench", "--data",
        TestData.sharedZip().toString(), "--steps", "1", "--warmup", "1", "--batch-size", "64", "--json",
        "--nproc-per-node", "2");
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    JsonNode m = Json.mapper().readTree(r.stdout());
    assertThat(m.get("processes").asInt()).isEqualTo(2);
    assertThat(m.get("allreduce_ms").asDouble()).isPositive();
    // the default: every bucket went while backward ran (the last one when backward made its last gradient)
    assertThat(m.get("allreduce").asText()).isEqualTo("overlapped");
    assertThat(m.get("buckets").asInt()).isGreaterThan(1);
    assertThat(m.get("buckets_during_backward").asDouble()).isEqualTo(m.get("buckets").asDouble());
    // 64 pairs a step in all, whatever the split
    assertThat(m.get("pairs_per_s").asDouble() * m.get("step_ms").asDouble() / 1e3)
        .isCloseTo(64, org.assertj.core.api.Assertions.within(0.5));
    double phases = m.get("data_ms").asDouble() + m.get("forward_ms").asDouble() + m.get("backward_ms").asDouble()
        + m.get("allreduce_ms").asDouble() + m.get("optimizer_ms").asDouble();
    assertThat(phases).isLessThanOrEqualTo(m.get("step_ms").asDouble() * 1.01);
  }
}
