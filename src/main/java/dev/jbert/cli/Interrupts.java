package dev.jbert.cli;

import java.io.PrintWriter;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C for a long command: the first one asks the work to stop (it then saves what it has and exits with 130), the
 * second exits at once with 130. Files are written under temporary names and renamed, so an exit at any moment leaves
 * no half-written file (the temporary ones are removed on exit).
 */
final class Interrupts implements AutoCloseable {
  private static final Signal INT = new Signal("INT");

  private final PrintWriter err;
  private final SignalHandler previous;
  private volatile boolean requested;

  private Interrupts(PrintWriter err) {
    this.err = err;
    this.previous = Signal.handle(INT, sig -> onSignal());
  }

  static Interrupts install(PrintWriter err) {
    return new Interrupts(err);
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
