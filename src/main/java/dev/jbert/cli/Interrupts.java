package dev.jbert.cli;

import dev.jbert.dist.Launcher;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C for a long command: the first one asks the work to stop (it then saves what it has and exits with 130), the
 * second exits at once with 130. Files are written under temporary names and renamed, so an exit at any moment leaves
 * no half-written file (the temporary ones are removed on exit).
 *
 * <p>A worker started by {@code --nproc-per-node} ignores SIGINT and takes its stop request from the launcher, on
 * standard input (see {@link Launcher}): the terminal sends Ctrl-C to the launcher and the workers alike, and the
 * launcher alone counts it.
 */
final class Interrupts implements AutoCloseable {
  private static final Signal INT = new Signal("INT");

  private final PrintWriter err;
  private final SignalHandler previous;
  private volatile boolean requested;

  private Interrupts(PrintWriter err, boolean worker) {
    this.err = err;
    if (worker) {
      this.previous = Signal.handle(INT, SignalHandler.SIG_IGN);
      Thread watcher = new Thread(this::watchLauncher, "jbert-stop-from-launcher");
      watcher.setDaemon(true);
      watcher.start();
    } else {
      this.previous = Signal.handle(INT, sig -> onSignal());
    }
  }

  static Interrupts install(PrintWriter err) {
    return new Interrupts(err, System.getenv(Launcher.WORKER_ENV) != null);
  }

  /** A stop line from the launcher, or the end of standard input (the launcher is gone), is a stop request. */
  private void watchLauncher() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.trim().equals(Launcher.STOP_LINE)) {
          break;
        }
      }
    } catch (IOException e) {
      // standard input broke: as good as closed
    }
    requested = true;
  }

  private void onSignal() {
    if (requested) {
      err.println();
      err.println("stopped at once (second Ctrl-C); the run folder keeps its last saved state");
      err.flush();
      System.exit(PretrainCommand.EXIT_INTERRUPTED);
    }
    requested = true;
    err.println();
    err.println("stopping: saving the run folder (Ctrl-C again to stop at once)");
    err.flush();
  }

  boolean requested() {
    return requested;
  }

  @Override
  public void close() {
    Signal.handle(INT, previous);
  }
}
