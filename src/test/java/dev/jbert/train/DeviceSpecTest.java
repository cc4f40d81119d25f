package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceSpecTest {
  @Test
  void allMeansEveryGpuOrElseTheCpu() {
    assertThat(DeviceSpec.parse("all", 0)).containsExactly("cpu");
    assertThat(DeviceSpec.parse("all", 2)).containsExactly("cuda:0", "cuda:1");
  }

  @Test
  void namedGpusAreCheckedAgainstWhatIsVisible() {
    assertThat(DeviceSpec.parse("gpu:0,1", 2)).isEqualTo(List.of("cuda:0", "cuda:1"));
    assertThat(DeviceSpec.parse("gpu", 1)).containsExactly("cuda:0");
    assertThatThrownBy(() -> DeviceSpec.parse("gpu:1", 1))
        .isInstanceOf(JbertException.class).hasMessageContaining("GPU 1 is not available");
    assertThatThrownBy(() -> DeviceSpec.parse("gpu", 0)).hasMessageContaining("mvn -Pgpu");
  }

  @Test
  void nonsenseIsRejectedWithTheAcceptedForms() {
    assertThatThrownBy(() -> DeviceSpec.parse("tpu", 0)).hasMessageContaining("use cpu, gpu, gpu:0,1 or all");
    assertThatThrownBy(() -> DeviceSpec.parse("gpu:x", 4)).hasMessageContaining("not understood");
    assertThatThrownBy(() -> DeviceSpec.parse("gpu:0,0", 4)).hasMessageContaining("twice");
  }
}
