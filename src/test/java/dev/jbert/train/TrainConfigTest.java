package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
  @Test
  void theReferenceIsSpecSection8() {
    TrainConfig r = TrainConfig.reference();
    assertThat(r.batchSize()).isEqualTo(512);
    assertThat(r.steps()).isEqualTo(50);
    assertThat(r.lr()).isEqualTo(3e-3f);
    assertThat(r.beta1()).isEqualTo(0.9f);
    assertThat(r.beta2()).isEqualTo(0.999f);
    assertThat(r.eps()).isEqualTo(1e-8f);
    assertThat(r.warmupSteps()).isZero();
    for (int step = 0; step < 50; step++) {
      assertThat(r.lrAt(step)).isEqualTo(3e-3f); // no schedule
    }
  }

  @Test
  void warmupRisesLinearlyToTheLearningRateThenStays() {
    TrainConfig c = TrainConfig.builder().lr(1e-4f).warmupSteps(4).steps(10).build();
    assertThat(c.lrAt(0)).isEqualTo(2.5e-5f);
    assertThat(c.lrAt(1)).isEqualTo(5e-5f);
    assertThat(c.lrAt(3)).isEqualTo(1e-4f);
    assertThat(c.lrAt(9)).isEqualTo(1e-4f);
  }

  @Test
  void evaluationHappensAtTheIntervalAndTheEndUnlessSkipped() {
    TrainConfig end = TrainConfig.builder().steps(10).build();
    assertThat(java.util.stream.IntStream.rangeClosed(1, 10).filter(end::evaluatesAfter)).containsExactly(10);
    TrainConfig every3 = end.toBuilder().evalEvery(3).build();
    assertThat(java.util.stream.IntStream.rangeClosed(1, 10).filter(every3::evaluatesAfter))
        .containsExactly(3, 6, 9, 10);
    TrainConfig never = every3.toBuilder().skipEval(true).build();
    assertThat(java.util.stream.IntStream.rangeClosed(1, 10).filter(never::evaluatesAfter)).isEmpty();
  }

  @Test
  void badValuesAreRefusedWithTheFlagToFix() {
    assertThatThrownBy(() -> TrainConfig.builder().steps(0).build()).isInstanceOf(JbertException.class)
        .hasMessage("--steps must be at least 1, got 0");
    assertThatThrownBy(() -> TrainConfig.builder().warmupSteps(-1).build()).isInstanceOf(JbertException.class)
        .hasMessageContaining("--warmup-steps");
    assertThatThrownBy(() -> TrainConfig.builder().lr(Float.NaN).build()).isInstanceOf(JbertException.class)
        .hasMessageContaining("--lr must be a positive number");
  }
}
