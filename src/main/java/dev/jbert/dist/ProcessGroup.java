package dev.jbert.dist;

import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;

/**
 * The processes of one run, joined through PyTorch's distributed engine (c10d): a {@code TCPStore} on the master
 * (rank 0) for the rendezvous, a {@code ProcessGroupGloo} for the collectives. Every collective is called by every
 * rank in the same order (Gloo matches them by order), and blocks until all ranks have taken part.
 *
 * <p>A rank that dies closes its connections, so the others' next collective fails at once ("Connection closed by
 * peer"); a rank that hangs makes the others fail after the {@link World#timeout}. Both become a one-line
 * {@link JbertException} naming the rank, the operation and the timeout (docs/engine.md, section 4).
 */
public final class ProcessGroup implements AutoCloseable {
  private final World world;
  private final TCPStore store;
  private final ProcessGroupGloo gloo;
  private final GradientAllreduce.Timing gradientTiming;

  private ProcessGroup(World world, TCPStore store, ProcessGroupGloo gloo, GradientAllreduce.Timing gradientTiming) {
    this.world = world;
    this.store = store;
    this.gloo = gloo;
    this.gradientTiming = gradientTiming;
  }

  /** As {@link #join(World, GradientAllreduce.Timing)}, the gradients sent while backward runs. */
  public static ProcessGroup join(World world) {
    return join(world, GradientAllreduce.Timing.OVERLAPPED);
  }

  /**
   * Joins the run: rank 0 opens the store on the master port (with port 0 a free one, written to the port file), the
   * others connect to it, then all build the Gloo group, which connects every pair of ranks. Waits at most the timeout
   * for the others to arrive.
   *
   * @param gradientTiming when the ranks send their gradients (all ranks must agree)
   */
  public static ProcessGroup join(World world, GradientAllreduce.Timing gradientTiming) {
    if (!world.distributed()) {
      throw new IllegalArgumentException("a world of one process needs no process group");
    }
    Torch.load();
    long timeoutMs = world.timeout().toMillis();
    long deadline = System.nanoTime() + world.timeout().toNanos();
    boolean master = world.rank() == 0;
    int port = master || world.masterPort() != 0 ? world.masterPort() : awaitPort(world, deadline);
    TCPStore store = null;
    try (PointerScope scope = new PointerScope()) {
      TCPStoreOptions options = new TCPStoreOptions();
      options.port((short) port) // a uint16_t: ports above 32767 pass as negative shorts, bit for bit
          .isServer(master)
          .numWorkers(new SizeTPointer(1).put(world.size()))
          .waitWorkers(false) // the group's own connection step waits for everyone, with the same timeout
          .timeout(new Milliseconds(timeoutMs));
      store = Torch.keep(new TCPStore(world.masterAddr(), options));
      port = store.getPort() & 0xffff;
      if (master && world.portFile() != null) {
        AtomicFiles.writeString(world.portFile(), port + "\n");
      }
      ProcessGroupGloo.Options gloo = new ProcessGroupGloo.Options(new Milliseconds(timeoutMs));
      gloo.devices(new GlooDeviceVector(device(world.masterAddr())));
      return new ProcessGroup(world, store,
          Torch.keep(new ProcessGroupGloo(store, world.rank(), world.size(), gloo)), gradientTiming);
    } catch (RuntimeException e) {
      if (store != null) {
        store.close();
      }
      if (e instanceof JbertException) {
        throw e;
      }
      throw new JbertException(world.describe() + " could not join the run at " + world.masterAddr() + ":"
          + (port == 0 ? "(a free port)" : Integer.toString(port)) + " within " + world.timeout().toSeconds() + " s (--dist-timeout): "
          + firstLine(e.getMessage()) + (master ? "" : "; is rank 0 running, and is the address reachable?"), e);
    }
  }

  /**
   * The network device Gloo binds: the interface in {@code GLOO_SOCKET_IFNAME} (PyTorch's variable) when set; the
   * loopback for a master on this machine's loopback; else this machine's hostname, as PyTorch's default device does.
   */
  private static org.bytedeco.pytorch.gloo.Device device(String masterAddr) {
    String ifname = System.getenv("GLOO_SOCKET_IFNAME");
    if (ifname != null && !ifname.isBlank()) {
      return ProcessGroupGloo.createDeviceForInterface(ifname.trim());
    }
    try {
      if (InetAddress.getByName(masterAddr).isLoopbackAddress()) {
        return ProcessGroupGloo.createDeviceForHostname(masterAddr);
      }
    } catch (UnknownHostException e) {
      throw new JbertException("the master address " + masterAddr + " does not resolve: " + e.getMessage());
    }
    return ProcessGroupGloo.createDefaultDevice();
  }

  /** The port rank 0 bound, from the port file, waiting for it until {@code deadline}. */
  private static int awaitPort(World world, long deadline) {
    Path file = world.portFile();
    while (true) {
      try {
        if (Files.isRegularFile(file)) { // written under a temporary name and renamed: never seen half-written
          return Integer.parseInt(Files.readString(file, StandardCharsets.UTF_8).trim());
        }
      } catch (IOException | NumberFormatException e) {
        throw new JbertException("cannot read rank 0's port from " + file + ": " + e.getMessage(), e);
      }
      if (System.nanoTime() > deadline) {
        throw new JbertException(world.describe() + ": rank 0 did not open the rendezvous within "
            + world.timeout().toSeconds() + " s (--dist-timeout): no port in " + file);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new JbertException(world.describe() + ": interrupted while waiting for rank 0's port");
      }
    }
  }

  public World world() {
    return world;
  }

  /** When this run's ranks send their gradients. */
  public GradientAllreduce.Timing gradientTiming() {
    return gradientTiming;
  }

  public int rank() {
    return world.rank();
  }

  public int size() {
    return world.size();
  }

  /** Replaces the CPU tensor {@code t} by its sum over all ranks; {@code what} names it in an error. */
  public void sum(Tensor t, String what) {
    sumAsync(t, what).await();
  }

  /**
   * Starts replacing the CPU tensor {@code t} by its sum over all ranks and returns at once: Gloo sends and adds on
   * threads of its own. {@code t} must not change until {@link Pending#await} returns. Every rank starts its sums in
   * the same order (Gloo pairs them by order, not by name).
   */
  public Pending sumAsync(Tensor t, String what) {
    try (PointerScope scope = new PointerScope()) {
      // one tensor per call: a vector of several would mean one input per local device, summed together
      return new Pending(Torch.keep(gloo.allreduce(new TensorVector(t))), what);
    } catch (RuntimeException e) {
      throw failed(what, e);
    }
  }

  /** A sum under way. */
  public final class Pending {
    private final Work work;
    private final String what;

    private Pending(Work work, String what) {
      this.work = work;
      this.what = what;
    }

    /** Waits until the sum is in place; a rank that died or did not answer within the timeout makes it throw. */
    public void await() {
      try {
        work._wait();
      } catch (RuntimeException e) {
        throw failed(what, e);
      } finally {
        work.close();
      }
    }
  }

  private JbertException failed(String what, RuntimeException e) {
    return new JbertException(world.describe() + ": the all-reduce of " + what + " failed: "
        + firstLine(e.getMessage()) + " (another rank stopped, or did not answer within the "
        + world.timeout().toSeconds() + " s of --dist-timeout)", e);
  }

  /** The sums over all ranks of {@code values}, element by element, in float64. */
  public double[] sum(String what, double... values) {
    try (PointerScope scope = new PointerScope()) {
      Tensor t = Torch.doubles(values);
      sum(t, what);
      return Torch.toDoubles(t);
    }
  }

  /** Whether any rank passes true: how the ranks agree to stop at the same step. */
  public boolean any(boolean mine) {
    return sum("the stop flags", mine ? 1 : 0)[0] > 0;
  }

  /** Every rank's value of {@code mine}, indexed by rank. */
  public long[] gather(long mine, String what) {
    try (PointerScope scope = new PointerScope()) {
      long[] slots = new long[size()];
      slots[rank()] = mine; // each slot is zero on all ranks but its own, so the sum is exact and puts each in place
      Tensor t = Torch.longs(slots);
      sum(t, what);
      return Torch.toLongs(t);
    }
  }

  /**
   * Checks that every rank holds the same weights: equal gradients and the same update keep them equal, so a
   * difference means the ranks did not run the same steps. {@code when} says where, e.g. "after step 10".
   */
  public void checkSameWeights(Map<String, Tensor> parameters, String when) {
    long[] hashes = gather(weightHash(parameters), "the weight hashes");
    for (int r = 1; r < hashes.length; r++) {
      if (hashes[r] != hashes[0]) {
        throw new JbertException(String.format("the weights of rank %d differ from rank 0's %s (hash %016x vs"
            + " %016x): the ranks did not run the same steps; start again from the last checkpoint", r, when,
            hashes[r], hashes[0]));
      }
    }
  }

  /** The first 8 bytes of the SHA-256 of every parameter's name and float32 values, in the map's order. */
  public static long weightHash(Map<String, Tensor> parameters) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
      sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      float[] values = Torch.toFloats(e.getValue());
      ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(values);
      sha.update(bytes);
    }
    return ByteBuffer.wrap(sha.digest()).getLong();
  }

  /**
   * The first line of a libtorch error, without the source location that c10 puts first ("[/home/.../pair.cc:538] "),
   * a path on the machine that built libtorch.
   */
  static String firstLine(String s) {
    String line = s == null ? "" : s.lines().findFirst().orElse("").trim();
    return line.replaceFirst("^\\[[^\\]]*\\.(cc|cpp|h):\\d+\\] ", "");
  }

  /** Leaves the group: the Gloo connections, then the store (on rank 0, the rendezvous server). */
  @Override
  public void close() {
    gloo.close();
    store.close();
  }
}
