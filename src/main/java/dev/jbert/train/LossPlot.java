package dev.jbert.train;

import dev.jbert.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** MLM and NSP loss against step, drawn as d2l's Animator draws them ('step' / 'loss', legend mlm and nsp). */
public final class LossPlot {
  /**
   * Points drawn per curve at most; longer runs are shown as the means of consecutive steps. More is invisible at
   * 640 pixels and only grows the SVG (a 1000-step plot of every step was 710 KB).
   */
  static final int MAX_POINTS = 200;

  /** Coordinates in the SVG to two decimals (a hundredth of a pixel); XChart writes 15 digits. */
  private static final Pattern LONG_DECIMAL = Pattern.compile("(\\d\\.\\d\\d)\\d+");

  private LossPlot() {}

  public static void write(List<StepMetrics> rows, Path png, Path svg) {
    if (rows.isEmpty()) {
      return;
    }
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(640).height(420).xAxisTitle("step").yAxisTitle("loss").build();
    // whole steps, and ticks far enough apart that labels such as 1000 and 1100 do not run together
    double lastStep = rows.get(rows.size() - 1).step();
    double labelStep = labelStep(lastStep);
    chart.getStyler().setXAxisTickMarkSpacingHint(100);
    // XChart may put a tick on every second step of a short run; only round multiples get a label
    chart.getStyler().setxAxisTickLabelsFormattingFunction(
        x -> Math.abs(x / labelStep - Math.rint(x / labelStep)) < 1e-9 ? String.format(Locale.ROOT, "%,d", Math.round(x)) : "");
    chart.getStyler().setXAxisMin(0.0); // round tick values (0, 200, 400, ...) rather than from the first point
    chart.getStyler().setXAxisMax(lastStep);
    chart.getStyler().setYAxisDecimalPattern("0.0#");
    double[][] mlm = downsample(rows, true);
    double[][] nsp = downsample(rows, false);
    chart.addSeries("mlm", mlm[0], mlm[1]).setMarker(SeriesMarkers.NONE);
    chart.addSeries("nsp", nsp[0], nsp[1]).setMarker(SeriesMarkers.NONE);
    AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    AtomicFiles.write(svg, out -> {
      ByteArrayOutputStream full = new ByteArrayOutputStream();
      VectorGraphicsEncoder.saveVectorGraphic(chart, full, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
      String text = LONG_DECIMAL.matcher(full.toString(StandardCharsets.UTF_8)).replaceAll("$1");
      out.write(text.getBytes(StandardCharsets.UTF_8));
    });
  }

  /** The distance between two step labels: 1, 2 or 5 times a power of ten, for at most 8 labels up to {@code last}. */
  static double labelStep(double last) {
    double step = 1;
    while (last / step > 8) {
      step = step * (Long.toString(Math.round(step)).startsWith("2") ? 2.5 : 2);
    }
    return step;
  }

  /** (steps, losses) with at most {@link #MAX_POINTS} points: each the mean step and mean loss of a run of rows. */
  static double[][] downsample(List<StepMetrics> rows, boolean mlm) {
    int n = rows.size();
    int points = Math.min(n, MAX_POINTS);
    double[] x = new double[points];
    double[] y = new double[points];
    for (int p = 0; p < points; p++) {
      int from = (int) ((long) n * p / points);
      int to = (int) ((long) n * (p + 1) / points);
      for (int i = from; i < to; i++) {
        x[p] += rows.get(i).step();
        y[p] += mlm ? rows.get(i).mlmLoss() : rows.get(i).nspLoss();
      }
      x[p] /= to - from;
      y[p] /= to - from;
    }
    return new double[][] {x, y};
  }
}
