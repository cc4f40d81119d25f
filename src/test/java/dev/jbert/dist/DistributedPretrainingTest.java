package dev.jbert.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.ChildJvm;
import dev.jbert.Json;
import dev.jbert.Numeric;
import dev.jbert.Torch;
import dev.jbert.cli.JbertCli;
import dev.jbert.model.SafeTensors;
import dev.jbert.train.MetricsLog;
import dev.jbert.train.RunFolder;
import dev.jbert.train.StepMetrics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pretraining over two processes on 127.0.0.1, through the real command line: the same losses and weights as one
 * process, and what happens when a rank dies. Tiny model and corpus, so that the JVMs' start dominates.
 */
class DistributedPretrainingTest {
  private static final int STEPS = 6;

  /** A small corpus in WikiText's layout (sentences joined by " . "), skewed so that the vocabulary has an order. */
  private static Path corpus(Path dir) throws Exception {
    Random r = new Random(7);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      text.append(' ');
      for (int s = 2 + r.nextInt(4); s > 0; s--) {
        for (int w = 3 + r.nextInt(6); w > 0; w--) {
          text.append('w').append((int) (40 * Math.pow(r.nextDouble(), 2))).append(' ');
        }
        text.append(". ");
      }
      text.append('\n');
    }
    Path folder = Files.createDirectories(dir.resolve("corpus"));
    Files.writeString(folder.resolve("wiki.train.tokens"), text);
    return folder;
  }

  private static List<String> pretrain(Path data, Path out, int steps, String... more) {
    List<String> args = new ArrayList<>(List.of("pretrain", "--data", data.toString(), "--out", out.toString(),
        "--steps", Integer.toString(steps), "--batch-size", "16", "--max-len", "24", "--seed", "3", "--hidden", "16",
        "--ffn-hidden", "32", "--heads", "2", "--layers", "2", "--lr", "3e-3", "--micro-batches", "2",
        "--eval-every", "0", "--devices", "cpu"));
    args.addAll(List.of(more));
    return args;
  }

  @Test
  void twoProcessesGiveTheLossesAndWeightsOfOne(@TempDir Path tmp) throws Exception {
    Path data = corpus(tmp);
    Path one = tmp.resolve("one");
    StringWriter err = new StringWriter();
    int code = JbertCli.execute(pretrain(data, one, STEPS).toArray(String[]::new),
        new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertThat(code).as(err.toString()).isZero();

    Path two = tmp.resolve("two");
    // the launcher in a JVM of its own, as a user starts it; it starts the two workers
    ChildJvm.Result r = ChildJvm.run(JbertCli.class, List.of("-Xmx256m"), tmp, Map.of(), 240,
        pretrain(data, two, STEPS, "--nproc-per-node", "2").toArray(String[]::new));
    assertThat(r.exitCode()).as(r.stderr()).isZero();
    assertThat(r.stdout()).doesNotContain("[Gloo]").containsPattern("(?m)^[\\d.]+ sentence pairs/sec on \\[2 processes on cpu\\]$");
    // rank 0 reports, rank 1 is quiet: one progress line per report, no rank 1 line at all
    assertThat(r.stderr()).doesNotContain("rank 1:");
    assertThat(r.stderr().lines().filter(l -> l.startsWith("pretrain " + STEPS + "/" + STEPS))).hasSize(1);

    // only the summation order differs: each rank sums its half, then the two halves are added
    List<StepMetrics> a = MetricsLog.read(one.resolve(RunFolder.METRICS), 99);
    List<StepMetrics> b = MetricsLog.read(two.resolve(RunFolder.METRICS), 99);
    assertThat(b).hasSize(STEPS);
    for (int i = 0; i < STEPS; i++) {
      Numeric.assertClose("mlm loss of step " + (i + 1), b.get(i).mlmLoss(), a.get(i).mlmLoss(), 1e-5);
      Numeric.assertClose("nsp loss of step " + (i + 1), b.get(i).nspLoss(), a.get(i).nspLoss(), 1e-5);
    }
    assertThat(a.get(STEPS - 1).mlmLoss()).isLessThan(a.get(0).mlmLoss()); // it trained: the check is not vacuous
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> x = SafeTensors.read(one.resolve(RunFolder.MODEL), "cpu");
      Map<String, Tensor> y = SafeTensors.read(two.resolve(RunFolder.MODEL), "cpu");
      assertThat(y.keySet()).isEqualTo(x.keySet());
      for (String name : x.keySet()) {
        if (name.endsWith("attention.W_k.bias")) {
          // its true gradient is 0 (a bias on every key shifts a softmax row by a constant): it moves by rounding
          // noise only, which Adam's division by sqrt(v) scales up to +-lr a step
          continue;
        }
        // six Adam steps of lr 3e-3 move a weight by up to 0.018; rounding-level gradient differences far less
        Numeric.assertAllClose(name, Torch.toFloats(y.get(name)), Torch.toFloats(x.get(name)), 1e-4, 1e-4);
      }
    }
    // rank 0 alone wrote the folder: the files of one process, nothing left half-written
    try (Stream<Path> files = Files.list(two)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("config.json", "vocab.txt",
          "model.safetensors", "metrics.csv", "loss.png", "loss.svg", "checkpoint.safetensors", "summary.json");
    }
    JsonNode summary = Json.mapper().readTree(two.resolve(RunFolder.SUMMARY).toFile());
    assertThat(summary.get("steps").asInt()).isEqualTo(STEPS);
  }

  /** A worker as torchrun starts one: its place in the environment, rank 0 choosing a free port. */
  private static Process worker(Path tmp, Path data, int rank, Path out, String... more) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), JbertCli.class.getName()));
    command.addAll(pretrain(data, out, 100_000, more));
    ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile());
    pb.environment().putAll(Map.of("RANK", Integer.toString(rank), "WORLD_SIZE", "2", "LOCAL_RANK",
        Integer.toString(rank), "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "0", World.PORT_FILE_ENV,
        tmp.resolve("port").toString(), "OMP_NUM_THREADS", "1"));
    pb.redirectOutput(tmp.resolve("out" + rank + ".txt").toFile());
    pb.redirectError(tmp.resolve("err" + rank + ".txt").toFile());
    return pb.start();
  }

  private static int rows(Path metrics) throws Exception {
    return Files.isRegularFile(metrics) ? Files.readAllLines(metrics).size() - 1 : 0;
  }

  @Test
  void whenARankIsKilledTheOtherStopsWithOneLineAndTheLastCheckpointStays(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    Path data = corpus(tmp);
    Process rank0 = worker(tmp, data, 0, run, "--checkpoint-every", "1", "--dist-timeout", "30");
    Process rank1 = worker(tmp, data, 1, run, "--checkpoint-every", "1", "--dist-timeout", "30");
    try {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      while (rows(run.resolve(RunFolder.METRICS)) < 3) {
        assertThat(rank0.isAlive()).as("rank 0 runs: %s", Files.readString(tmp.resolve("err0.txt"))).isTrue();
        assertThat(System.nanoTime()).as("3 steps within 180 s").isLessThan(until);
        Thread.sleep(50);
      }
      rank1.destroyForcibly(); // SIGKILL: no goodbye to the other rank
      long killed = System.nanoTime();
      assertThat(rank0.waitFor(60, TimeUnit.SECONDS)).as("rank 0 ends").isTrue();
      double seconds = (System.nanoTime() - killed) / 1e9;
      assertThat(seconds).as("seconds until rank 0 stopped").isLessThan(30);
      assertThat(rank0.exitValue()).isNotZero();
      List<String> errors = Files.readAllLines(tmp.resolve("err0.txt")).stream()
          .filter(l -> l.startsWith("error: ")).toList();
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0)).contains("rank 0 of 2").contains("30 s of --dist-timeout");
      // the last checkpoint is whole and of a step that all ranks finished: the one of the last metrics row, or the
      // one before when the kill came between that row and its checkpoint (the ranks compare weights first)
      int step = Integer.parseInt(SafeTensors.readMetadata(run.resolve(RunFolder.CHECKPOINT)).get("step"));
      int rows = rows(run.resolve(RunFolder.METRICS));
      assertThat(step).isGreaterThanOrEqualTo(2).isBetween(rows - 1, rows);
      try (PointerScope scope = new PointerScope()) {
        assertThat(SafeTensors.read(run.resolve(RunFolder.CHECKPOINT), "cpu")).containsKey("model.nsp.output.weight");
      }
      try (Stream<Path> files = Files.list(run)) {
        assertThat(files).noneMatch(p -> p.getFileName().toString().endsWith(".tmp"));
      }
    } finally {
      rank0.destroyForcibly();
      rank1.destroyForcibly();
    }
  }

  /** Starts the launcher of a 2-process run (stdout and stderr to out.txt and err.txt) and waits for its 3rd step. */
  private static Process launchAndWaitFor3Steps(Path tmp, Path run, String... more) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), JbertCli.class.getName()));
    List<String> args = new ArrayList<>(List.of("--nproc-per-node", "2"));
    args.addAll(List.of(more));
    command.addAll(pretrain(corpus(tmp), run, 1_000_000, args.toArray(String[]::new)));
    Process launcher = new ProcessBuilder(command).directory(tmp.toFile())
        .redirectOutput(tmp.resolve("out.txt").toFile()).redirectError(tmp.resolve("err.txt").toFile()).start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (rows(run.resolve(RunFolder.METRICS)) < 3) {
      if (!launcher.isAlive() || System.nanoTime() > until) {
        launcher.descendants().forEach(ProcessHandle::destroyForcibly);
        launcher.destroyForcibly();
        assertThat(launcher.isAlive()).as("the launcher runs: %s", Files.readString(tmp.resolve("err.txt"))).isTrue();
        assertThat(System.nanoTime()).as("3 steps within 180 s").isLessThan(until);
      }
      Thread.sleep(50);
    }
    return launcher;
  }

  /** Continues the run in this process up to {@code steps}: the batch is global, so any number of processes may. */
  private static void resumeInOneProcess(Path run, int steps) throws Exception {
    StringWriter resumed = new StringWriter();
    int code = JbertCli.execute(new String[] {"pretrain", "--resume", run.toString(), "--steps",
        Integer.toString(steps)}, new PrintWriter(new StringWriter()), new PrintWriter(resumed));
    assertThat(code).as(resumed.toString()).isZero();
    assertThat(rows(run.resolve(RunFolder.METRICS))).isEqualTo(steps);
  }

  @Test
  void ctrlCOnTheLauncherStopsEveryRankAtOneStepAndTheRunResumesInOneProcess(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    Process launcher = launchAndWaitFor3Steps(tmp, run);
    try {
      List<ProcessHandle> workers = launcher.descendants().toList();
      assertThat(workers).hasSize(2);
      new ProcessBuilder("kill", "-INT", Long.toString(launcher.pid())).start().waitFor();
      assertThat(launcher.waitFor(60, TimeUnit.SECONDS)).as("the launcher ends").isTrue();
      String err = Files.readString(tmp.resolve("err.txt"));
      assertThat(launcher.exitValue()).as(err).isEqualTo(130);
      assertThat(workers).noneMatch(ProcessHandle::isAlive);
      // both ranks stopped after the same step: rank 0's checkpoint, metrics and summary agree on it
      int step = Integer.parseInt(SafeTensors.readMetadata(run.resolve(RunFolder.CHECKPOINT)).get("step"));
      assertThat(rows(run.resolve(RunFolder.METRICS))).isEqualTo(step);
      assertThat(Files.readString(tmp.resolve("out.txt")))
          .contains("interrupted after step " + step + ": checkpoint saved; continue with --resume " + run);
      assertThat(err).contains("stopping: saving the run folder").doesNotContain("rank 1:").doesNotContain("error");

      // the batch is global and each example's dropout masks are keyed by its place in it: one process continues
      resumeInOneProcess(run, step + 2);
    } finally {
      launcher.descendants().forEach(ProcessHandle::destroyForcibly);
      launcher.destroyForcibly();
    }
  }

  @Test
  void aSecondCtrlCEndsTheLauncherAndEveryRankAtOnceLeavingTheLastCheckpoint(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    Process launcher = launchAndWaitFor3Steps(tmp, run, "--checkpoint-every", "1");
    try {
      List<ProcessHandle> workers = launcher.descendants().toList();
      assertThat(workers).hasSize(2);
      new ProcessBuilder("kill", "-INT", Long.toString(launcher.pid())).start().waitFor();
      Thread.sleep(100);
      new ProcessBuilder("kill", "-INT", Long.toString(launcher.pid())).start().waitFor();
      // at once: no waiting for the step to end, or for the run folder to be saved
      assertThat(launcher.waitFor(10, TimeUnit.SECONDS)).as("the launcher ends").isTrue();
      String err = Files.readString(tmp.resolve("err.txt"));
      assertThat(launcher.exitValue()).as(err).isEqualTo(130);
      assertThat(err).contains("stopped at once (second Ctrl-C)");
      for (ProcessHandle w : workers) {
        assertThat(w.onExit().get(10, TimeUnit.SECONDS).isAlive()).as("worker %d", w.pid()).isFalse();
      }
      // the last checkpoint is whole (written under a temporary name, renamed), and the run goes on from it
      int step = Integer.parseInt(SafeTensors.readMetadata(run.resolve(RunFolder.CHECKPOINT)).get("step"));
      assertThat(step).isGreaterThanOrEqualTo(2);
      resumeInOneProcess(run, step + 1);
    } finally {
      launcher.descendants().forEach(ProcessHandle::destroyForcibly);
      launcher.destroyForcibly();
    }
  }

  @Test
  void aRankWhoseOthersNeverComeGivesUpAfterTheTimeoutWithOneLine(@TempDir Path tmp) throws Exception {
    Path data = corpus(tmp);
    long t0 = System.nanoTime();
    // rank 1 of 2, and no rank 0 ever writes the port: nothing to join
    ChildJvm.Result r = ChildJvm.run(JbertCli.class, List.of("-Xmx256m"), tmp, Map.of("RANK", "1", "WORLD_SIZE", "2",
        "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "0", World.PORT_FILE_ENV, tmp.resolve("port").toString()), 120,
        pretrain(data, tmp.resolve("run"), 2, "--dist-timeout", "3").toArray(String[]::new));
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr().lines().filter(l -> !l.isBlank()).toList()).containsExactly("error: rank 1 of 2: rank 0 did"
        + " not open the rendezvous within 3 s (--dist-timeout): no port in " + tmp.resolve("port"));
    assertThat(seconds).as("the JVM's start, then the 3 s").isLessThan(60);
    assertThat(tmp.resolve("run")).doesNotExist(); // the rendezvous comes first: nothing was read or written
  }
}
