package dev.jbert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jbert.Json;
import dev.jbert.model.SafeTensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code ./jbert} launcher in a fresh working directory, as a user runs it: the README's first command, and
 * Ctrl-C (SIGINT) at several points of a run. It runs from the test class path ({@code JBERT_CLASSPATH}) instead of
 * building the jar, which is the only difference from a user's run.
 */
class LauncherTest {
  private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();

  /** A launcher process in {@code cwd}, its stdout and stderr going to files there. */
  private record Launched(Process process, Path out, Path err) {
    String stdout() throws IOException {
      return Files.readString(out);
    }

    String stderr() throws IOException {
      return Files.readString(err);
    }

    int waitFor(Duration limit) throws Exception {
      if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("./jbert did not end within " + limit + "; stderr:\n" + stderr());
      }
      return process.exitValue();
    }

    void interrupt() throws Exception {
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
    }
  }

  private static Launched launch(Path cwd, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve("jbert").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
    pb.environment().put("JBERT_CLASSPATH", System.getProperty("java.class.path"));
    pb.environment().remove("JBERT_DATA");
    pb.environment().put("JBERT_HOME", cwd.resolve("home").toString());
    Path out = cwd.resolve("stdout.txt");
    Path err = cwd.resolve("stderr.txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
    return new Launched(pb.start(), out, err);
  }

  /** Waits (at most {@code limit}) until {@code condition} holds. */
  private static void await(Duration limit, String what, Check condition) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("waited " + limit + " for " + what);
      }
      Thread.sleep(100);
    }
  }

  @FunctionalInterface
  private interface Check {
    boolean holds() throws Exception;
  }

  private static Predicate<Path> isTemporary() {
    return p -> p.getFileName().toString().endsWith(".tmp");
  }

  private static int dataRows(Path metrics) throws IOException {
    return Files.isRegularFile(metrics) ? Files.readAllLines(metrics).size() - 1 : 0;
  }

  @Test
  void theReadmesFirstCommandWritesARunFolderUnderRunsInTheWorkingDirectory(@TempDir Path cwd) throws Exception {
    // the README's `./jbert pretrain`, with fewer steps: no --out, no --data (found beside the project)
    Launched run = launch(cwd, "pretrain", "--steps", "2", "--batch-size", "64");
    assertThat(run.waitFor(Duration.ofMinutes(3))).as(run.stderr()).isZero();
    List<Path> runs;
    try (var files = Files.list(cwd.resolve("runs"))) {
      runs = files.toList();
    }
    assertThat(runs).hasSize(1);
    Path folder = runs.get(0);
    assertThat(folder.getFileName().toString()).matches("\\d{8}-\\d{6}");
    for (String f : List.of("config.json", "vocab.txt", "model.safetensors", "metrics.csv", "loss.png", "loss.svg",
        "checkpoint.safetensors", "summary.json")) {
      assertThat(folder.resolve(f)).isRegularFile();
      // created as any file of the user's: the umask decides, here at least readable by the group
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(folder.resolve(f));
      assertThat(permissions).contains(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
      assertThat(permissions).as(f).contains(PosixFilePermission.GROUP_READ);
    }
    String out = run.stdout();
    assertThat(out).containsPattern("MLM loss \\d+\\.\\d{3}, NSP loss \\d+\\.\\d{3}")
        .contains("validation: MLM loss").doesNotContain("run folder");
    // a log, not a terminal: plain lines, no carriage returns or colour codes, nothing said twice
    String err = run.stderr();
    assertThat(err).doesNotContain("\r").doesNotContain("\u001b[").startsWith("corpus: ").contains("\ndata: ");
    assertThat(err.lines().filter(l -> l.equals("run folder: runs/" + folder.getFileName()))).hasSize(1);
    assertThat(err).doesNotContain("validation: MLM loss");
    assertThat(err.lines().filter(l -> l.startsWith("pretrain 2/2"))).hasSize(1);
  }

  @Test
  void ctrlCDuringTrainingStopsWithinSecondsAndLeavesARunFolderThatResumes(@TempDir Path cwd) throws Exception {
    Path folder = cwd.resolve("run");
    Launched run = launch(cwd, "pretrain", "--steps", "1000", "--batch-size", "64", "--out", "run");
    await(Duration.ofMinutes(2), "the first step", () -> dataRows(folder.resolve("metrics.csv")) >= 1);
    long sent = System.nanoTime();
    run.interrupt();
    assertThat(run.waitFor(Duration.ofSeconds(60))).as(run.stderr()).isEqualTo(130);
    double seconds = (System.nanoTime() - sent) / 1e9;
    assertThat(seconds).as("seconds from Ctrl-C to exit").isLessThan(20);
    int step = Integer.parseInt(SafeTensors.readMetadata(folder.resolve("checkpoint.safetensors")).get("step"));
    assertThat(step).isBetween(1, 999);
    assertThat(run.stdout()).contains("interrupted after step " + step + ": checkpoint saved; continue with --resume run");
    JsonNode summary = Json.mapper().readTree(folder.resolve("summary.json").toFile());
    assertThat(summary.get("steps").asInt()).isEqualTo(step);
    assertThat(dataRows(folder.resolve("metrics.csv"))).isEqualTo(step);
    try (var files = Files.list(folder)) {
      assertThat(files).noneMatch(isTemporary());
    }

    // and the folder continues: two more steps, recorded in config.json
    Launched resumed = launch(cwd, "pretrain", "--resume", "run", "--steps", Integer.toString(step + 2),
        "--eval-every", "0");
    assertThat(resumed.waitFor(Duration.ofMinutes(3))).as(resumed.stderr()).isZero();
    JsonNode config = Json.mapper().readTree(folder.resolve("config.json").toFile());
    assertThat(config.at("/train/steps").asInt()).isEqualTo(step + 2);
    assertThat(config.at("/resumes/0/at_step").asInt()).isEqualTo(step);
    assertThat(config.at("/resumes/0/changed/steps").asText()).isEqualTo("1000 -> " + (step + 2));
    assertThat(dataRows(folder.resolve("metrics.csv"))).isEqualTo(step + 2);
  }

  @Test
  void ctrlCDuringTheFinalEvaluationStopsItAndASecondCtrlCExitsAtOnce(@TempDir Path cwd) throws Exception {
    // a wider model, so the evaluation of 4624 pairs takes long enough to be interrupted
    Launched run = launch(cwd, "pretrain", "--steps", "1", "--batch-size", "16", "--hidden", "512",
        "--ffn-hidden", "2048", "--heads", "8", "--layers", "4", "--out", "run");
    await(Duration.ofMinutes(2), "the final evaluation", () -> run.stderr().lines().anyMatch(l -> l.startsWith("validation ")));
    run.interrupt();
    assertThat(run.waitFor(Duration.ofSeconds(60))).as(run.stderr()).isEqualTo(130);
    JsonNode summary = Json.mapper().readTree(cwd.resolve("run/summary.json").toFile());
    assertThat(summary.get("steps").asInt()).isEqualTo(1);
    assertThat(summary.get("val_mlm_loss").isNull()).isTrue();

    Launched twice = launch(cwd, "pretrain", "--steps", "1000", "--batch-size", "64", "--out", "again");
    await(Duration.ofMinutes(2), "the first step", () -> dataRows(cwd.resolve("again/metrics.csv")) >= 1);
    twice.interrupt();
    Thread.sleep(50);
    twice.interrupt();
    assertThat(twice.waitFor(Duration.ofSeconds(20))).isEqualTo(130);
    assertThat(twice.stderr()).contains("stopped at once (second Ctrl-C)");
    try (var files = Files.list(cwd.resolve("again"))) {
      assertThat(files).noneMatch(isTemporary());
    }
  }

  @Test
  void aBaseSizedModelLoadsWhateverTheJavaHeapAndDirectMemoryLimits(@TempDir Path cwd) throws Exception {
    // 2 x 20256 x 768 floats of embeddings and head alone: 124 MB, more than the 16 MB of direct memory allowed here
    Path model = cwd.resolve("model");
    dev.jbert.encode.TinyModel.writeRun(model, 64);
    Files.writeString(cwd.resolve("probe"), "");
    try (dev.jbert.model.BertModel big = dev.jbert.model.BertModel.create(new dev.jbert.model.BertConfig(
        dev.jbert.encode.TinyModel.vocab().size() + 20000, 768, 3072, 12, 1, 0.1f, 1000),
        org.bytedeco.pytorch.global.torch.ScalarType.Float, "cpu", 1)) {
      dev.jbert.model.ModelFiles.save(big, model);
    }
    Files.delete(model.resolve("vocab.txt"));
    // the vocabulary must match vocab_size: pad it with made-up tokens
    List<String> tokens = new ArrayList<>(dev.jbert.encode.TinyModel.vocab().tokens());
    for (int i = 0; i < 20000; i++) {
      tokens.add("extra" + i);
    }
    Files.write(model.resolve("vocab.txt"), tokens, StandardCharsets.UTF_8);
    assertThat(Files.size(model.resolve("model.safetensors"))).isGreaterThan(100L << 20);
    ProcessBuilder pb = new ProcessBuilder("java", "-Xmx64m", "-XX:MaxDirectMemorySize=16m", "-cp", System.getProperty("java.class.path"), "dev.jbert.cli.JbertCli", "encode", "--model", model.toString(),
        "a crane is flying", "--json");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("\"shape\":[1,6,768]");
  }

  @Test
  void longMaxLensBuildInTheLaunchersJavaHeap(@TempDir Path cwd) throws Exception {
    // -Xmx256m: padded examples at max_len 512 would need about 600 MB
    Launched data = launch(cwd, "data", "--max-len", "512", "--json");
    assertThat(data.waitFor(Duration.ofMinutes(2))).as(data.stderr()).isZero();
    JsonNode stats = Json.mapper().readTree(data.stdout());
    assertThat(stats.get("examples").asInt()).isGreaterThan(43614); // more pairs fit than at max_len 64
    assertThat(stats.get("vocab_size").asInt()).isEqualTo(20256);
  }
}
