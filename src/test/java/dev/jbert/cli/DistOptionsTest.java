package dev.jbert.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** When a command starts workers instead of training: one process per device, as many as asked. */
class DistOptionsTest {
  private static DistOptions parse(String... args) {
    PretrainCommand command = new PretrainCommand();
    new CommandLine(command).parseArgs(args);
    return command.dist;
  }

  @Test
  void severalDevicesStartOneWorkerEach() {
    DistOptions d = parse();
    assertThat(d.launches(Map.of(), 2)).isTrue();
    assertThat(d.nprocPerNode).isEqualTo(2);
    assertThat(parse().launches(Map.of(), 1)).isFalse();
    assertThat(parse("--nproc-per-node", "2").launches(Map.of(), 1)).isTrue(); // two processes sharing the CPU
    assertThat(parse("--nproc-per-node", "2").launches(Map.of(), 2)).isTrue();
    // a worker the launcher (or torchrun) started: its LOCAL_RANK picks its device
    assertThat(parse().launches(Map.of("RANK", "1"), 2)).isFalse();
  }

  @Test
  void aProcessCountThatIsNotTheDeviceCountIsRefused() {
    assertThatThrownBy(() -> parse("--nproc-per-node", "3").launches(Map.of(), 2))
        .isInstanceOf(JbertException.class)
        .hasMessage("--nproc-per-node 3 does not match the 2 devices of --devices: one process trains on each"
            + " device; leave --nproc-per-node out");
  }
}
