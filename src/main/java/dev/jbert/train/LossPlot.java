package dev.jbert.train;

import dev.jbert.AtomicFiles;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** MLM and NSP loss against step, drawn as d2l's Animator draws them ('step' / 'loss', legend mlm and nsp). */
public final class LossPlot {
  private LossPlot() {}

  public static void write(List<StepMetrics> rows, Path png, Path svg) {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(640).height(420).xAxisTitle("step").yAxisTitle("loss").build();
    double[] steps = rows.stream().mapToDouble(StepMetrics::step).toArray();
    chart.addSeries("mlm", steps, rows.stream().mapToDouble(StepMetrics::mlmLoss).toArray())
        .setMarker(SeriesMarkers.NONE);
    chart.addSeries("nsp", steps, rows.stream().mapToDouble(StepMetrics::nspLoss).toArray())
        .setMarker(SeriesMarkers.NONE);
    AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    AtomicFiles.write(svg, out -> VectorGraphicsEncoder.saveVectorGraphic(
        chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG));
  }
}
