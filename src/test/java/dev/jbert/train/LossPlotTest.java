package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossPlotTest {
  private static List<StepMetrics> rows(int n) {
    List<StepMetrics> rows = new ArrayList<>();
    for (int s = 1; s <= n; s++) {
      rows.add(new StepMetrics(s, 10.0 / Math.sqrt(s), 0.7 - s * 1e-4, 3e-3, 380, s * 1.4));
    }
    return rows;
  }

  @Test
  void aThousandStepPlotStaysSmallAndKeepsTheCurvesMeans(@TempDir Path dir) throws Exception {
    List<StepMetrics> rows = rows(1000);
    LossPlot.write(rows, dir.resolve("loss.png"), dir.resolve("loss.svg"));
    assertThat(Files.size(dir.resolve("loss.svg"))).as("SVG bytes").isLessThan(200_000);
    assertThat(Files.size(dir.resolve("loss.png"))).isGreaterThan(1000);

    double[][] mlm = LossPlot.downsample(rows, true);
    assertThat(mlm[0]).hasSize(LossPlot.MAX_POINTS);
    assertThat(mlm[0][0]).isGreaterThanOrEqualTo(1);
    assertThat(mlm[0][LossPlot.MAX_POINTS - 1]).isLessThanOrEqualTo(1000);
    // every step counts once: the points' weighted mean is the mean over all steps
    double sum = 0;
    for (int p = 0; p < LossPlot.MAX_POINTS; p++) {
      int from = 1000 * p / LossPlot.MAX_POINTS;
      int to = 1000 * (p + 1) / LossPlot.MAX_POINTS;
      sum += mlm[1][p] * (to - from);
    }
    double mean = rows.stream().mapToDouble(StepMetrics::mlmLoss).average().orElseThrow();
    assertThat(sum / 1000).isCloseTo(mean, within(1e-12));
  }

  @Test
  void aShortRunIsDrawnStepByStep() {
    double[][] nsp = LossPlot.downsample(rows(50), false);
    assertThat(nsp[0]).hasSize(50).startsWith(1.0, 2.0);
    assertThat(nsp[1][49]).isEqualTo(0.7 - 50 * 1e-4);
  }

  @Test
  void stepLabelsAreRoundAndAtMostEight() {
    assertThat(LossPlot.labelStep(8)).isEqualTo(1);
    assertThat(LossPlot.labelStep(50)).isEqualTo(10);
    assertThat(LossPlot.labelStep(1000)).isEqualTo(200);
    assertThat(LossPlot.labelStep(1234)).isEqualTo(200);
    assertThat(LossPlot.labelStep(1_000_000)).isEqualTo(200_000);
  }
}
