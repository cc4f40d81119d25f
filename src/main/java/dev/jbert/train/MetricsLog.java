package dev.jbert.train;

import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The per-step metrics of a run, kept in memory and written to {@code metrics.csv} as a whole. */
public final class MetricsLog {
  static final String HEADER = "step,mlm_loss,nsp_loss,lr,pairs_per_s,elapsed_s";
  private final List<StepMetrics> rows = new ArrayList<>();

  public void add(StepMetrics m) {
    rows.add(m);
  }

  public List<StepMetrics> rows() {
    return List.copyOf(rows);
  }

  public double elapsedS() {
    return rows.isEmpty() ? 0 : rows.get(rows.size() - 1).elapsedS();
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

  public void write(Path csv) {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (StepMetrics r : rows) {
      sb.append(String.format(Locale.ROOT, "%d,%.9g,%.9g,%.6g,%.3f,%.4f%n",
          r.step(), r.mlmLoss(), r.nspLoss(), r.lr(), r.pairsPerS(), r.elapsedS()));
    }
    AtomicFiles.writeString(csv, sb.toString());
  }

  /** Reads the rows of steps 1..upToStep back, to continue a run. */
  public static MetricsLog read(Path csv, int upToStep) {
    MetricsLog log = new MetricsLog();
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
          log.add(r);
        }
      }
      return log;
    } catch (IOException | RuntimeException e) {
      if (e instanceof JbertException je) {
        throw je;
      }
      throw new JbertException("cannot read " + csv + ": " + e.getMessage()
          + " (the run folder is damaged; start a new run instead of --resume)", e);
    }
  }
}
