package dev.jbert.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where a process stands (torchrun's variables) and what the launcher passes on to its workers. */
class WorldTest {
  private static final Duration T = Duration.ofSeconds(600);

  @Test
  void torchrunsVariablesPlaceTheProcess() {
    World w = World.fromEnvironment(Map.of("RANK", "5", "WORLD_SIZE", "8", "LOCAL_RANK", "1", "MASTER_ADDR",
        "10.0.0.7", "MASTER_PORT", "29501"), T);
    assertThat(w).isEqualTo(new World(5, 8, 1, "10.0.0.7", 29501, null, T));
    assertThat(w.distributed()).isTrue();
    assertThat(w.describe()).isEqualTo("rank 5 of 8");
  }

  @Test
  void withoutThemTheProcessIsAlone() {
    World w = World.fromEnvironment(Map.of("MASTER_ADDR", "10.0.0.7"), T);
    assertThat(w.size()).isEqualTo(1);
    assertThat(w.distributed()).isFalse();
  }

  @Test
  void portZeroMeansRankZeroPicksOneAndWritesItToThePortFile() {
    World w = World.fromEnvironment(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_PORT", "0",
        World.PORT_FILE_ENV, "/tmp/x/port"), T);
    assertThat(w.masterPort()).isZero();
    assertThat(w.portFile()).isEqualTo(Path.of("/tmp/x/port"));
  }

  @Test
  void incompleteOrWrongVariablesGetOneLine() {
    assertThatThrownBy(() -> World.fromEnvironment(Map.of("RANK", "0"), T))
        .isInstanceOf(JbertException.class).hasMessage("RANK and WORLD_SIZE must be set together (only RANK is set)");
    assertThatThrownBy(() -> World.fromEnvironment(Map.of("RANK", "2", "WORLD_SIZE", "2", "MASTER_PORT", "1"), T))
        .hasMessage("rank 2 is outside a world of 2 processes (0 to 1)");
    assertThatThrownBy(() -> World.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "2"), T))
        .hasMessageStartingWith("WORLD_SIZE is 2 but MASTER_PORT is not set");
    assertThatThrownBy(() -> World.fromEnvironment(Map.of("RANK", "x", "WORLD_SIZE", "2", "MASTER_PORT", "1"), T))
        .hasMessage("RANK=x is not a number");
    assertThatThrownBy(() -> World.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_PORT", "0"), T))
        .hasMessageStartingWith("master port 0 (a free port) works only when the processes share a port file");
  }

  @Test
  void theWorkersGetTheCommandLineWithoutTheLaunchersOptions() {
    Set<String> launcherOnly = Set.of("--nproc-per-node", "--master-port");
    assertThat(Launcher.withoutOptions(List.of("pretrain", "--nproc-per-node", "2", "--steps", "5",
        "--master-port=29500", "--out", "run"), launcherOnly))
        .containsExactly("pretrain", "--steps", "5", "--out", "run");
  }

  @Test
  void workersShareTheLaunchersJvmOptionsButNotItsDebuggerOrProcessorCount() {
    assertThat(Launcher.jvmOptions(List.of("-Xmx256m", "-agentlib:jdwp=transport=dt_socket,address=5005",
        "-XX:ActiveProcessorCount=2", "-Djbert.tty=1"))).containsExactly("-Xmx256m", "-Djbert.tty=1");
  }

  @Test
  void aPlanGivesEachMachineItsRanksAndRefusesWhatCannotWork() {
    assertThat(new Launcher.Plan(4, 2, 1, "10.0.0.7", 29500, 8).worldSize()).isEqualTo(8);
    assertThatThrownBy(() -> new Launcher.Plan(2, 2, 0, "10.0.0.7", 0, 1))
        .hasMessageStartingWith("several machines need a fixed --master-port");
    assertThatThrownBy(() -> new Launcher.Plan(2, 2, 2, "10.0.0.7", 29500, 1))
        .hasMessage("--node-rank 2 is outside 0 to 1 (--nnodes 2)");
  }

  @Test
  void libtorchErrorsLoseTheBuildMachinesSourcePath() {
    assertThat(ProcessGroup.firstLine("[/home/runner/work/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:538]"
        + " Read error [127.0.0.1]:2997: Connection reset by peer\nException raised from ..."))
        .isEqualTo("Read error [127.0.0.1]:2997: Connection reset by peer");
  }
}
