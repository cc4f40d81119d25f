package dev.jbert.dist;

import dev.jbert.JbertException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Starts the worker processes of one machine, as {@code torchrun --nproc-per-node N} does: the same Java, class path
 * and JVM options, each worker with its rank in torchrun's variables ({@code RANK}, {@code WORLD_SIZE},
 * {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}) and its share of the cores. It forwards rank 0's
 * output and the other ranks' error lines, asks all workers to stop when told to (Ctrl-C), and stops them all when
 * one fails.
 *
 * <p>A worker learns of a stop through its standard input (a line "stop", or the end of it when the launcher itself is
 * gone), not through SIGINT: a terminal's Ctrl-C reaches the launcher and the workers alike, and workers started by
 * the launcher ignore it, so one Ctrl-C is one stop request and a second one stops everything at once.
 */
public final class Launcher {
  /** Set in a worker's environment: it takes its stop requests from standard input and ignores SIGINT. */
  public static final String WORKER_ENV = "JBERT_LAUNCHED";
  /** The line on a worker's standard input that asks it to stop (save its run folder and exit). */
  public static final String STOP_LINE = "stop";
  /** How long the others may take to end on their own after one worker failed, before they are stopped. */
  static final Duration GRACE = Duration.ofSeconds(5);
  /** What libtorch's Gloo prints on standard output when a group is built. */
  private static final Pattern GLOO_CONNECTED = Pattern.compile("\\[Gloo\\] Rank \\d+ is connected to");

  /**
   * What to start.
   *
   * @param nprocPerNode workers on this machine
   * @param nnodes machines, each starting {@code nprocPerNode} workers
   * @param nodeRank this machine's index; its workers get ranks {@code nodeRank * nprocPerNode + i}
   * @param masterPort 0 = a free port, chosen by rank 0 (one machine only)
   * @param threadsPerWorker libtorch's and the JVM's threads in each worker
   */
  public record Plan(int nprocPerNode, int nnodes, int nodeRank, String masterAddr, int masterPort,
      int threadsPerWorker) {
    public Plan {
      if (nprocPerNode < 1) {
        throw new JbertException("--nproc-per-node must be at least 1, got " + nprocPerNode);
      }
      if (nnodes < 1) {
        throw new JbertException("--nnodes must be at least 1, got " + nnodes);
      }
      if (nodeRank < 0 || nodeRank >= nnodes) {
        throw new JbertException("--node-rank " + nodeRank + " is outside 0 to " + (nnodes - 1) + " (--nnodes "
            + nnodes + ")");
      }
      if (nnodes > 1 && masterPort == 0) {
        throw new JbertException("several machines need a fixed --master-port: rank 0's machine cannot tell the"
            + " others a port it picked");
      }
    }

    public int worldSize() {
      return nprocPerNode * nnodes;
    }
  }

  /** How the workers ended. */
  public record Result(int exitCode, List<Integer> workerCodes) {}

  private final Plan plan;
  private final String mainClass;
  private final List<String> workerArgs;

  /** @param mainClass the class each worker runs, with {@code workerArgs} */
  public Launcher(Plan plan, String mainClass, List<String> workerArgs) {
    this.plan = plan;
    this.mainClass = mainClass;
    this.workerArgs = List.copyOf(workerArgs);
  }

  /**
   * Starts the workers and waits for all of them. Rank 0's standard output goes to {@code out} and its standard error
   * to {@code err}; the other ranks' standard error goes to {@code err} with a "rank N: " prefix on each line, their
   * standard output nowhere (they report nothing rank 0 does not). {@code notices} receives the launcher's own lines
   * (a worker failed, the others are being stopped). The exit code is 0 when all ended with 0, else the first failure's
   * code (130 when a stop was requested and they stopped as asked).
   */
  public Result run(Writer out, Writer err, BooleanSupplier stopRequested, Consumer<String> notices)
      throws IOException, InterruptedException {
    Path portDir = Files.createTempDirectory("jbert-rendezvous");
    List<Worker> workers = new ArrayList<>();
    Thread killer = new Thread(() -> workers.forEach(w -> w.process.destroyForcibly()));
    Runtime.getRuntime().addShutdownHook(killer); // the launcher exits at once (second Ctrl-C): so do the workers
    try {
      for (int local = 0; local < plan.nprocPerNode(); local++) {
        workers.add(start(local, portDir.resolve("port"), out, err));
      }
      return supervise(workers, stopRequested, notices);
    } finally {
      workers.forEach(w -> w.process.destroyForcibly());
      for (Worker w : workers) {
        w.pumps.forEach(Launcher::joinQuietly);
      }
      try {
        Runtime.getRuntime().removeShutdownHook(killer);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook runs anyway
      }
      Files.deleteIfExists(portDir.resolve("port"));
      Files.deleteIfExists(portDir);
    }
  }

  private record Worker(int rank, Process process, List<Thread> pumps) {}

  private Worker start(int localRank, Path portFile, Writer out, Writer err) throws IOException {
    int rank = plan.nodeRank() * plan.nprocPerNode() + localRank;
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions(ManagementFactory.getRuntimeMXBean().getInputArguments()));
    // the JVM's own pools (dropout masks are drawn on all cores the JVM sees) take the worker's share too
    command.add("-XX:ActiveProcessorCount=" + plan.threadsPerWorker());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(workerArgs);
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.put("RANK", Integer.toString(rank));
    env.put("WORLD_SIZE", Integer.toString(plan.worldSize()));
    env.put("LOCAL_RANK", Integer.toString(localRank));
    env.put("LOCAL_WORLD_SIZE", Integer.toString(plan.nprocPerNode()));
    env.put("MASTER_ADDR", plan.masterAddr());
    env.put("MASTER_PORT", Integer.toString(plan.masterPort()));
    if (plan.masterPort() == 0) {
      env.put(World.PORT_FILE_ENV, portFile.toString());
    } else {
      env.remove(World.PORT_FILE_ENV);
    }
    // libtorch's OpenMP threads and OpenBLAS read it when they start, as under torchrun
    env.put("OMP_NUM_THREADS", Integer.toString(plan.threadsPerWorker()));
    env.put(WORKER_ENV, "1");
    // libtorch's own warnings (a socket timed out, ...) say again, in many lines, what the worker's error line says
    env.putIfAbsent("TORCH_CPP_LOG_LEVEL", "ERROR");
    pb.redirectInput(ProcessBuilder.Redirect.PIPE);
    Process p = pb.start();
    List<Thread> pumps = new ArrayList<>();
    if (rank == 0) {
      // Gloo says on standard output how many peers it connected to; that output is jbert's results only
      pumps.add(pump(p.getInputStream(), out, "", GLOO_CONNECTED));
      pumps.add(pump(p.getErrorStream(), err, null, null));
    } else {
      pumps.add(pump(p.getInputStream(), Writer.nullWriter(), null, null));
      pumps.add(pump(p.getErrorStream(), err, "rank " + rank + ": ", null));
    }
    return new Worker(rank, p, pumps);
  }

  /**
   * The launcher's JVM options that a worker gets too (heap, collector, system properties), without those that
   * cannot be shared: a debugger's port, or a processor count set for the launcher.
   */
  static List<String> jvmOptions(List<String> launcher) {
    return launcher.stream()
        .filter(a -> !a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")
            && !a.startsWith("-XX:ActiveProcessorCount="))
        .toList();
  }

  private Result supervise(List<Worker> workers, BooleanSupplier stopRequested, Consumer<String> notices)
      throws InterruptedException {
    Integer[] codes = new Integer[workers.size()];
    boolean stopSent = false;
    long failedAt = 0;
    int failedRank = -1;
    boolean stopping = false;
    while (true) {
      if (!stopSent && stopRequested.getAsBoolean()) {
        stopSent = true;
        workers.forEach(Launcher::askToStop);
      }
      boolean allDone = true;
      for (int i = 0; i < workers.size(); i++) {
        Worker w = workers.get(i);
        if (codes[i] == null && !w.process.isAlive()) {
          codes[i] = w.process.exitValue();
          if (codes[i] != 0 && failedRank < 0 && !(stopSent && codes[i] == 130)) {
            failedRank = w.rank;
            failedAt = System.nanoTime();
            notices.accept("rank " + w.rank + " exited with code " + codes[i] + describe(codes[i])
                + (workers.size() > 1 ? "; stopping the other ranks" : ""));
          }
        }
        allDone &= codes[i] != null;
      }
      if (allDone) {
        break;
      }
      if (failedRank >= 0 && !stopping && System.nanoTime() - failedAt > GRACE.toNanos()) {
        // the others notice a dead peer at their next all-reduce; one that waits longer is stuck or far behind
        stopping = true;
        workers.forEach(w -> w.process.destroy());
      }
      if (stopping && System.nanoTime() - failedAt > 2 * GRACE.toNanos()) {
        workers.forEach(w -> w.process.destroyForcibly());
      }
      Thread.sleep(50);
    }
    List<Integer> all = List.of(codes);
    int exit = failedRank >= 0 ? codes[indexOfRank(workers, failedRank)]
        : all.stream().filter(c -> c != 0).findFirst().orElse(0);
    return new Result(exit, all);
  }

  private static int indexOfRank(List<Worker> workers, int rank) {
    for (int i = 0; i < workers.size(); i++) {
      if (workers.get(i).rank == rank) {
        return i;
      }
    }
    throw new IllegalArgumentException("no worker of rank " + rank);
  }

  private static String describe(int code) {
    return code > 128 && code < 160 ? " (signal " + (code - 128) + (code == 137 ? ", killed" : "") + ")" : "";
  }

  private static void askToStop(Worker w) {
    try {
      OutputStream in = w.process.getOutputStream();
      in.write((STOP_LINE + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    } catch (IOException e) {
      // the worker has ended already: nothing to stop
    }
  }

  /**
   * Copies a worker's stream to {@code to} on a thread of its own; with a {@code prefix}, line by line with the prefix
   * and without the lines {@code drop} matches, else as the bytes come (a progress bar redrawn with carriage returns
   * passes through unchanged).
   */
  private static Thread pump(InputStream from, Writer to, String prefix, Pattern drop) {
    Thread t = new Thread(() -> {
      try (Reader chars = new InputStreamReader(from, StandardCharsets.UTF_8)) {
        if (prefix == null) {
          char[] buf = new char[8192];
          for (int n; (n = chars.read(buf)) > 0; ) { // what has arrived, so a redrawn bar shows at once
            synchronized (to) {
              to.write(buf, 0, n);
              to.flush();
            }
          }
        } else {
          BufferedReader lines = new BufferedReader(chars);
          for (String line; (line = lines.readLine()) != null; ) {
            if (drop != null && drop.matcher(line).lookingAt()) {
              continue;
            }
            synchronized (to) {
              to.write(prefix + line + "\n");
              to.flush();
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, "jbert-worker-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void joinQuietly(Thread t) {
    try {
      t.join(Duration.ofSeconds(5).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * {@code args} without the options that only the launcher reads ({@code names}, each followed by a value, or
   * {@code --name=value}): the workers take their place from the environment instead.
   */
  public static List<String> withoutOptions(List<String> args, Set<String> names) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0 && names.contains(a.substring(0, eq))) {
        continue;
      }
      if (names.contains(a)) {
        i++; // its value
        continue;
      }
      out.add(a);
    }
    return out;
  }
}
