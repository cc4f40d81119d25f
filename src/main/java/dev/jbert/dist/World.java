package dev.jbert.dist;

import dev.jbert.JbertException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Where this process stands among the processes of one training run, as PyTorch's launchers describe it: its rank
 * (0 is the master, which holds the rendezvous store and writes the run folder), the number of processes, its rank on
 * its machine (which GPU it takes), and the master's address.
 *
 * @param masterPort the master's rendezvous port; 0 = the master picks a free one and writes it to {@code portFile},
 *     where the others read it (one machine only: the launcher of {@code --nproc-per-node} does this, so no fixed
 *     port can collide with anything)
 * @param portFile with port 0: the file the master writes its port to; else null
 * @param timeout how long a process waits for the others, in the rendezvous and in every all-reduce
 */
public record World(int rank, int size, int localRank, String masterAddr, int masterPort, Path portFile,
    Duration timeout) {
  /** torchrun's default master port. */
  public static final int DEFAULT_PORT = 29500;
  public static final String DEFAULT_ADDR = "127.0.0.1";
  /** jbert's own variable beside torchrun's: with {@code MASTER_PORT=0}, where rank 0 writes the port it bound. */
  public static final String PORT_FILE_ENV = "JBERT_PORT_FILE";

  public World {
    if (size < 1) {
      throw new JbertException("the world size must be at least 1, got " + size);
    }
    if (rank < 0 || rank >= size) {
      throw new JbertException("rank " + rank + " is outside a world of " + size + " processes (0 to " + (size - 1)
          + ")");
    }
    if (localRank < 0) {
      throw new JbertException("the local rank must be 0 or more, got " + localRank);
    }
    if (masterPort < 0 || masterPort > 65535) {
      throw new JbertException("the master port must be 0 to 65535, got " + masterPort);
    }
    if (size > 1 && masterPort == 0 && portFile == null) {
      throw new JbertException("master port 0 (a free port) works only when the processes share a port file ("
          + PORT_FILE_ENV + "), as under --nproc-per-node on one machine: pass --master-port or MASTER_PORT");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new JbertException("the timeout must be positive, got " + timeout.toSeconds() + " s");
    }
  }

  /** One process alone: nothing to rendezvous with. */
  public static World single(Duration timeout) {
    return new World(0, 1, 0, DEFAULT_ADDR, DEFAULT_PORT, null, timeout);
  }

  /** Whether there are other processes to exchange gradients with. */
  public boolean distributed() {
    return size > 1;
  }

  /**
   * The world that torchrun (or a Slurm or Kubernetes job setting the same variables) describes in {@code env}:
   * {@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}; one process alone
   * when {@code RANK} and {@code WORLD_SIZE} are not set.
   */
  public static World fromEnvironment(Map<String, String> env, Duration timeout) {
    String rank = env.get("RANK");
    String size = env.get("WORLD_SIZE");
    if (rank == null && size == null) {
      return single(timeout);
    }
    if (rank == null || size == null) {
      throw new JbertException("RANK and WORLD_SIZE must be set together (only " + (rank == null ? "WORLD_SIZE"
          : "RANK") + " is set)");
    }
    int n = number(env, "WORLD_SIZE", size);
    String portFile = env.get(PORT_FILE_ENV);
    if (n > 1 && env.get("MASTER_PORT") == null) {
      throw new JbertException("WORLD_SIZE is " + n + " but MASTER_PORT is not set: set MASTER_ADDR and MASTER_PORT"
          + " to rank 0's address and a free port");
    }
    return new World(number(env, "RANK", rank), n,
        env.get("LOCAL_RANK") == null ? 0 : number(env, "LOCAL_RANK", env.get("LOCAL_RANK")),
        env.getOrDefault("MASTER_ADDR", DEFAULT_ADDR),
        env.get("MASTER_PORT") == null ? DEFAULT_PORT : number(env, "MASTER_PORT", env.get("MASTER_PORT")),
        portFile == null || portFile.isEmpty() ? null : Path.of(portFile), timeout);
  }

  private static int number(Map<String, String> env, String name, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new JbertException(name + "=" + value + " is not a number");
    }
  }

  /** "rank 1 of 2", for messages. */
  public String describe() {
    return "rank " + rank + " of " + size;
  }
}
