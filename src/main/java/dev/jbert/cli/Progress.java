package dev.jbert.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a long task on stderr: a bar redrawn in place on a terminal; on anything else (a log file, a pipe, CI)
 * plain lines, at most one every {@link #LINE_INTERVAL_NS} apart plus the first and the last, with no carriage returns
 * or colour codes.
 */
final class Progress implements AutoCloseable {
  /** Least time between two progress lines when stderr is not a terminal. */
  static final long LINE_INTERVAL_NS = 10_000_000_000L;

  private final PrintWriter err;
  private final String task;
  private final long max;
  private final String unit;
  private final ProgressBar bar; // null: plain lines
  private long lastLineNs;
  private boolean printedLast;

  private Progress(PrintWriter err, String task, long initial, long max, String unit, boolean terminal) {
    this.err = err;
    this.task = task;
    this.max = max;
    this.unit = unit;
    this.bar = !terminal ? null : new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .startsFrom(initial, Duration.ZERO)
        .setUnit(unit, 1)
        .setStyle(ProgressBarStyle.UNICODE_BLOCK)
        .setConsumer(new DelegatingProgressBarConsumer(line -> {
          err.print("\r" + line);
          err.flush();
        }))
        .build();
  }

  /** A progress display from {@code initial} of {@code max}, as a bar when stderr is a terminal. */
  static Progress start(PrintWriter err, String task, long initial, long max, String unit) {
    return new Progress(err, task, initial, max, unit, stderrIsTerminal());
  }

  void update(long current, String extra) {
    if (bar != null) {
      bar.stepTo(current);
      bar.setExtraMessage(extra);
      return;
    }
    long now = System.nanoTime();
    boolean last = current >= max;
    if (lastLineNs == 0 || now - lastLineNs >= LINE_INTERVAL_NS || (last && !printedLast)) {
      err.printf("%s %d/%d%s%s%n", task, current, max, unit, extra.isEmpty() ? "" : ": " + extra);
      err.flush();
      lastLineNs = now;
      printedLast = last;
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close(); // draws the final state once; the line then ends here
      err.println();
      err.flush();
    }
  }

  /**
   * Whether standard error is a terminal. The launcher says so ({@code -Djbert.tty}, from {@code [ -t 2 ]}); run any
   * other way, Linux's {@code /proc/self/fd/2} tells.
   */
  static boolean stderrIsTerminal() {
    String told = System.getProperty("jbert.tty");
    if (told != null) {
      return told.equals("1");
    }
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }
}
