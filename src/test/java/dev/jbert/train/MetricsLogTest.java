package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
  @Test
  void throughputIsTotalPairsOverTotalSeconds() {
    MetricsLog log = new MetricsLog();
    log.add(new StepMetrics(1, 10, 1, 3e-3, 100, 1.0)); // 100 pairs in 1 s
    log.add(new StepMetrics(2, 8, 0.5, 3e-3, 300, 2.0)); // 300 pairs in 1 s
    assertThat(log.pairsPerS()).isCloseTo(200, within(1e-9));
    assertThat(log.meanMlmLoss()).isCloseTo(9, within(1e-12));
    assertThat(log.meanNspLoss()).isCloseTo(0.75, within(1e-12));
  }

  @Test
  void csvRoundTripKeepsTheRowsUpToTheResumedStep(@TempDir Path dir) throws Exception {
    MetricsLog log = new MetricsLog();
    for (int s = 1; s <= 3; s++) {
      log.add(new StepMetrics(s, 10 - s, 0.7, 3e-3, 250.5, s * 2.0));
    }
    Path csv = dir.resolve("metrics.csv");
    log.write(csv);
    assertThat(Files.readAllLines(csv).get(0)).isEqualTo("step,mlm_loss,nsp_loss,lr,pairs_per_s,elapsed_s");
    MetricsLog back = MetricsLog.read(csv, 2);
    assertThat(back.rows()).hasSize(2);
    assertThat(back.rows().get(1).mlmLoss()).isEqualTo(8);
    assertThat(back.elapsedS()).isEqualTo(4.0);
  }
}
