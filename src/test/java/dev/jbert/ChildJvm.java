package dev.jbert;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the test classpath in a new JVM, for what one JVM cannot vary: the processor count the JVM sees
 * (which sets chunk counts and the common pool's size), the working directory, the environment.
 */
public final class ChildJvm {
  private ChildJvm() {}

  public record Result(int exitCode, String stdout, String stderr) {}

  /**
   * Runs {@code main} with {@code jvmArgs} in {@code workDir}; {@code env} entries are set, or removed where the value
   * is null. Fails the test after {@code timeoutS} seconds.
   */
  public static Result run(Class<?> main, List<String> jvmArgs, Path workDir, Map<String, String> env, long timeoutS,
      String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-cp");
    // surefire's class path (a manifest-only jar with absolute entries works from any folder)
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    env.forEach((k, v) -> {
      if (v == null) {
        pb.environment().remove(k);
      } else {
        pb.environment().put(k, v);
      }
    });
    Path out = Files.createTempFile("child-jvm", ".out");
    Path err = Files.createTempFile("child-jvm", ".err");
    try {
      pb.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process process = pb.start();
      if (!process.waitFor(timeoutS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("child JVM " + command + " ran past " + timeoutS + " s; stderr: "
            + Files.readString(err, StandardCharsets.UTF_8));
      }
      return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
