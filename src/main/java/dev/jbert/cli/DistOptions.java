package dev.jbert.cli;

import dev.jbert.JbertException;
import dev.jbert.Torch;
import dev.jbert.dist.GradientAllreduce;
import dev.jbert.dist.Launcher;
import dev.jbert.dist.ProcessGroup;
import dev.jbert.dist.World;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Training over several processes, as PyTorch's launchers start them: {@code --nproc-per-node} starts the workers of
 * this machine; a process started by torchrun, {@code srun} or a Kubernetes job reads its place from torchrun's
 * variables ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}), which
 * the flags override.
 */
final class DistOptions {
  /** What only the launcher reads: its workers get their place in the environment instead. */
  static final Set<String> LAUNCHER_OPTIONS =
      Set.of("--nproc-per-node", "--nnodes", "--node-rank", "--master-addr", "--master-port");

  @Option(names = "--nproc-per-node", paramLabel = "N", description = "Start N worker processes on this machine,"
      + " each with its share of the cores, or one GPU each; every batch is split across them and their gradients"
      + " summed (default: one per device of --devices, so 1 on the CPU).")
  Integer nprocPerNode;

  @Option(names = "--nnodes", paramLabel = "M",
      description = "Machines in the run, each started with the same command and its own --node-rank (default: 1).")
  Integer nnodes;

  @Option(names = "--node-rank", paramLabel = "R", description = "This machine's index, 0 to M-1; 0 holds rank 0,"
      + " which writes the run folder (default: 0).")
  Integer nodeRank;

  @Option(names = "--master-addr", paramLabel = "HOST", description = "Address of the machine of rank 0 (default:"
      + " $MASTER_ADDR, else 127.0.0.1).")
  String masterAddr;

  @Option(names = "--master-port", paramLabel = "PORT", description = "Rendezvous port on that machine (default:"
      + " $MASTER_PORT; else a free port on one machine, 29500 on several).")
  Integer masterPort;

  @Option(names = "--allreduce", paramLabel = "WHEN", defaultValue = "overlapped", description = "When the processes"
      + " sum their gradients: overlapped (each bucket as soon as backward has made its gradients, while backward"
      + " goes on, as DistributedDataParallel does) or after-backward (all at once after backward) (default:"
      + " ${DEFAULT-VALUE}).")
  String allreduce;

  @Option(names = "--dist-timeout", paramLabel = "S", defaultValue = "600", description = "Seconds a process waits"
      + " for the others (rendezvous, each all-reduce, rank 0's evaluations) before it stops with an error"
      + " (default: ${DEFAULT-VALUE}).")
  int timeoutS;

  /**
   * Whether this process starts workers instead of training itself: with {@code --nproc-per-node} or
   * {@code --nnodes}, or when it would train on several {@code devices} (one worker each: a process trains on one).
   */
  boolean launches(Map<String, String> env, int devices) {
    GradientAllreduce.Timing.parse(allreduce); // a bad value stops the launcher, not each worker
    if (env.containsKey("RANK")) {
      if (nprocPerNode != null) {
        throw new JbertException("--nproc-per-node starts the worker processes itself, but RANK is set (this process"
            + " was started by torchrun, srun or a job): leave --nproc-per-node out");
      }
      return false; // a worker: its LOCAL_RANK picks its device
    }
    if (devices > 1) {
      if (nprocPerNode != null && nprocPerNode != devices) {
        throw new JbertException("--nproc-per-node " + nprocPerNode + " does not match the " + devices + " devices"
            + " of --devices: one process trains on each device; leave --nproc-per-node out");
      }
      nprocPerNode = devices;
    }
    if (nprocPerNode == null) {
      return false;
    }
    return nprocPerNode > 1 || nnodes != null && nnodes > 1;
  }

  /**
   * Starts this machine's workers with {@code root}'s command line (less the launcher's options), forwards their
   * output to {@code out} and {@code err}, and returns their exit code. Ctrl-C asks them to stop.
   */
  int launch(CommandLine root, PrintWriter out, PrintWriter err) throws Exception {
    Map<String, String> env = System.getenv();
    int m = nnodes == null ? 1 : nnodes;
    String addr = masterAddr != null ? masterAddr : env.get("MASTER_ADDR");
    if (addr == null && m > 1) {
      throw new JbertException("--nnodes " + m + " needs --master-addr: the address of the machine with"
          + " --node-rank 0");
    }
    Integer port = masterPort != null ? masterPort : env.containsKey("MASTER_PORT") ? envPort(env) : null;
    int cores = Runtime.getRuntime().availableProcessors();
    Launcher.Plan plan = new Launcher.Plan(nprocPerNode, m, nodeRank == null ? 0 : nodeRank,
        addr == null ? World.DEFAULT_ADDR : addr, port != null ? port : m > 1 ? World.DEFAULT_PORT : 0,
        Math.max(1, cores / nprocPerNode));
    List<String> args = Launcher.withoutOptions(root.getParseResult().originalArgs(), LAUNCHER_OPTIONS);
    Launcher launcher = new Launcher(plan, JbertCli.class.getName(), args);
    try (Interrupts interrupts = Interrupts.install(err)) {
      Launcher.Result r = launcher.run(out, err, interrupts::requested, line -> {
        err.println("jbert: " + line);
        err.flush();
      });
      return r.exitCode();
    }
  }

  /**
   * Joins the processes this one belongs to (torchrun's variables, or --nnodes and --node-rank for one process per
   * machine); null when it is alone. A worker of {@code --nproc-per-node} runs libtorch on its share of the cores.
   */
  ProcessGroup join() {
    World world = world(System.getenv());
    if (!world.distributed()) {
      return null;
    }
    if (System.getenv(Launcher.WORKER_ENV) != null) {
      // the launcher started this JVM with -XX:ActiveProcessorCount = its share of the cores
      Torch.load();
      torch.set_num_threads(Runtime.getRuntime().availableProcessors());
    }
    return ProcessGroup.join(world, GradientAllreduce.Timing.parse(allreduce));
  }

  /** This process's place: the environment's, with the flags' master address and port, or the flags' alone. */
  World world(Map<String, String> env) {
    Duration timeout = Duration.ofSeconds(timeoutS);
    if (timeoutS < 1) {
      throw new JbertException("--dist-timeout must be at least 1 second, got " + timeoutS);
    }
    if (nnodes != null || nodeRank != null) { // one process per machine, placed by the flags
      int m = nnodes == null ? 1 : nnodes;
      int r = nodeRank == null ? 0 : nodeRank;
      if (r < 0 || r >= m) {
        throw new JbertException("--node-rank " + r + " is outside 0 to " + (m - 1) + " (--nnodes " + m + ")");
      }
      String addr = masterAddr != null ? masterAddr : env.getOrDefault("MASTER_ADDR", World.DEFAULT_ADDR);
      int port = masterPort != null ? masterPort : env.containsKey("MASTER_PORT") ? envPort(env) : World.DEFAULT_PORT;
      return new World(r, m, 0, addr, port, null, timeout);
    }
    World w = World.fromEnvironment(env, timeout);
    if (masterAddr == null && masterPort == null) {
      return w;
    }
    return new World(w.rank(), w.size(), w.localRank(), masterAddr != null ? masterAddr : w.masterAddr(),
        masterPort != null ? masterPort : w.masterPort(), w.portFile(), timeout);
  }

  private static int envPort(Map<String, String> env) {
    try {
      return Integer.parseInt(env.get("MASTER_PORT").trim());
    } catch (NumberFormatException e) {
      throw new JbertException("MASTER_PORT=" + env.get("MASTER_PORT") + " is not a number");
    }
  }
}
