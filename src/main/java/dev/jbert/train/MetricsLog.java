package dev.jbert.train;

import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The per-step metrics of a run: kept in memory for the means, and appended to {@code metrics.csv} one line per step as
 * the run goes, so a long run can be watched ({@code tail -f}) and a killed run keeps its rows.
 */
public final class MetricsLog {
  static final String HEADER = "step,mlm_loss,nsp_loss,lr,pairs_per_s,elapsed_s";
  private final List<StepMetrics> rows = new ArrayList<>();
  private final Path csv; // null: in memory only

  private MetricsLog(Path csv) {
    this.csv = csv;
  }

  /** A log in memory only. */
  public MetricsLog() {
    this(null);
  }

  /** A new log writing to {@code csv}: the header now, a line per {@link #add}. */
  public static MetricsLog create(Path csv) {
    MetricsLog log = new MetricsLog(csv);
    log.rewrite();
    return log;
  }

  /**
   * The rows of steps 1..upToStep of {@code csv}, to continue a run from its checkpoint at {@code upToStep}; rows of
   * later steps (written after that checkpoint by a run that was then stopped) are dropped from the file too.
   */
  public static MetricsLog resume(Path csv, int upToStep) {
    MetricsLog log = new MetricsLog(csv);
    log.rows.addAll(read(csv, upToStep));
    log.rewrite();
    return log;
  }

  public void add(StepMetrics m) {
    rows.add(m);
    if (csv != null) {
      try {
        Files.writeString(csv, line(m), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new JbertException("cannot append to " + csv + ": " + e.getMessage()
            + " (check that the disk has room)", e);
      }
    }
  }

  public List<StepMetrics> rows() {
    return List.copyOf(rows);
  }

  public StepMetrics last() {
    return rows.get(rows.size() - 1);
  }

  public double elapsedS() {
    return rows.isEmpty() ? 0 : last().elapsedS();
  }

  public double meanMlmLoss() {
    return rows.stream().mapToDouble(StepMetrics::mlmLoss).average().orElse(Double.NaN);
  }

  public double meanNspLoss() {
    return rows.stream().mapToDouble(StepMetrics::nspLoss).average().orElse(Double.NaN);
  }

  /** Sum of batch sizes over the sum of timed step seconds, as the reference prints it. */
  public double pairsPerS() {
    double pairs = 0;
    double before = 0;
    for (StepMetrics r : rows) {
      pairs += r.pairsPerS() * (r.elapsedS() - before);
      before = r.elapsedS();
    }
    return before > 0 ? pairs / before : 0;
  }

  private void rewrite() {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (StepMetrics r : rows) {
      sb.append(line(r));
    }
    AtomicFiles.writeString(csv, sb.toString());
  }

  private static String line(StepMetrics r) {
    return String.format(Locale.ROOT, "%d,%.9g,%.9g,%.6g,%.3f,%.4f%n",
        r.step(), r.mlmLoss(), r.nspLoss(), r.lr(), r.pairsPerS(), r.elapsedS());
  }

  /** The rows of steps 1..upToStep of a metrics file. */
  public static List<StepMetrics> read(Path csv, int upToStep) {
    List<StepMetrics> out = new ArrayList<>();
    try {
      List<String> lines = Files.readAllLines(csv);
      if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
        throw new JbertException(csv + " is not a jbert metrics file (its first line should be " + HEADER + ")");
      }
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",");
        StepMetrics r = new StepMetrics(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
            Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5]));
        if (r.step() <= upToStep) {
          out.add(r);
        }
      }
      return out;
    } catch (IOException | RuntimeException e) {
      if (e instanceof JbertException je) {
        throw je;
      }
      throw new JbertException("cannot read " + csv + ": " + e.getMessage()
          + " (the run folder is damaged; start a new run instead of --resume)", e);
    }
  }
}
