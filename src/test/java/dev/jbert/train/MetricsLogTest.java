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
  void everyStepIsOnDiskAsSoonAsItIsAddedAndResumeDropsRowsPastTheCheckpoint(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("metrics.csv");
    MetricsLog log = MetricsLog.create(csv);
    assertThat(Files.readAllLines(csv)).containsExactly("step,mlm_loss,nsp_loss,lr,pairs_per_s,elapsed_s");
    for (int s = 1; s <= 3; s++) {
      log.add(new StepMetrics(s, 10 - s, 0.7, 3e-3, 250.5, s * 2.0));
      assertThat(Files.readAllLines(csv)).hasSize(1 + s); // a long run can be watched step by step
    }
    assertThat(Files.readAllLines(csv).get(3)).isEqualTo("3,7.00000000,0.700000000,0.00300000,250.500,6.0000");

    MetricsLog back = MetricsLog.resume(csv, 2); // the checkpoint was at step 2, the run got to 3
    assertThat(back.rows()).hasSize(2);
    assertThat(back.rows().get(1).mlmLoss()).isEqualTo(8);
    assertThat(back.elapsedS()).isEqualTo(4.0);
    assertThat(Files.readAllLines(csv)).hasSize(3);
    back.add(new StepMetrics(3, 6.5, 0.6, 3e-3, 240, 6.1));
    assertThat(MetricsLog.read(csv, 10)).extracting(StepMetrics::mlmLoss).containsExactly(9.0, 8.0, 6.5);
  }
}
