package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.Torch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch.ScalarType;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchIteratorTest {
  /** Ten examples of max_len 8; the first token after <cls> (100 + i) tells them apart. */
  private static List<PretrainingExample> examples(int n) {
    List<PretrainingExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] tokens = PretrainingDataset.tokens(new int[] {100 + i}, new int[] {7, 8}, 8);
      int[] segments = PretrainingDataset.segments(new int[] {100 + i}, new int[] {7, 8}, 8);
      out.add(new PretrainingExample(tokens, segments, 6, new int[] {1, 0}, new float[] {1f, 0f},
          new int[] {100 + i, 0}, i % 2 == 0));
    }
    return out;
  }

  private static int id(HostBatch b, int row) {
    return (int) b.tokens()[row * b.maxLen() + 1] - 100;
  }

  @Test
  void hostBatchToTensorsGivesTheSevenTensorsOfSpecSection6() {
    HostBatch b = HostBatch.of(examples(3));
    try (PointerScope scope = new PointerScope()) {
      PretrainingBatch batch = b.toTensors("cpu");
      assertThat(batch.size()).isEqualTo(3);
      assertThat(Torch.shape(batch.tokens())).containsExactly(3, 8);
      assertThat(Torch.shape(batch.segments())).containsExactly(3, 8);
      assertThat(Torch.shape(batch.validLens())).containsExactly(3);
      assertThat(Torch.shape(batch.predPositions())).containsExactly(3, 2);
      assertThat(Torch.shape(batch.mlmWeights())).containsExactly(3, 2);
      assertThat(Torch.shape(batch.mlmLabels())).containsExactly(3, 2);
      assertThat(Torch.shape(batch.nspLabels())).containsExactly(3);
      assertThat(List.of(Torch.dtype(batch.tokens()), Torch.dtype(batch.segments()),
          Torch.dtype(batch.predPositions()), Torch.dtype(batch.mlmLabels()), Torch.dtype(batch.nspLabels())))
          .containsOnly(ScalarType.Long);
      assertThat(Torch.dtype(batch.validLens())).isEqualTo(ScalarType.Float);
      assertThat(Torch.dtype(batch.mlmWeights())).isEqualTo(ScalarType.Float);
      assertThat(Torch.toLongs(batch.tokens())).startsWith(3L, 100L, 4L, 7L, 8L, 4L, 1L, 1L, 3L, 101L);
      assertThat(Torch.toLongs(batch.segments())).startsWith(0L, 0L, 0L, 1L, 1L, 1L, 0L, 0L);
      assertThat(Torch.toFloats(batch.validLens())).containsExactly(6f, 6f, 6f);
      assertThat(Torch.toLongs(batch.predPositions())).containsExactly(1, 0, 1, 0, 1, 0);
      assertThat(Torch.toFloats(batch.mlmWeights())).containsExactly(1f, 0f, 1f, 0f, 1f, 0f);
      assertThat(Torch.toLongs(batch.mlmLabels())).containsExactly(100, 0, 101, 0, 102, 0);
      assertThat(Torch.toLongs(batch.nspLabels())).containsExactly(1, 0, 1);
    }
  }

  @Test
  void keepsTheLastPartialBatchAndCoversEveryExampleOncePerEpoch() {
    BatchIterator it = new BatchIterator(examples(10), 4, 0, 0);
    assertThat(it.batchesPerEpoch()).isEqualTo(3);
    List<Integer> sizes = new ArrayList<>();
    List<Set<Integer>> epochs = List.of(new HashSet<>(), new HashSet<>());
    for (int b = 0; b < 6; b++) {
      assertThat(it.position()).isEqualTo(b);
      HostBatch batch = it.next();
      sizes.add(batch.size());
      for (int r = 0; r < batch.size(); r++) {
        assertThat(epochs.get(b / 3).add(id(batch, r))).isTrue();
      }
    }
    assertThat(sizes).containsExactly(4, 4, 2, 4, 4, 2);
    assertThat(epochs.get(0)).hasSize(10);
    assertThat(epochs.get(1)).hasSize(10);
    assertThat(it.position()).isEqualTo(6);
  }

  @Test
  void reshufflesEachEpochFromSeedAndEpoch() {
    int[] e0 = BatchIterator.epochOrder(50, 7, 0);
    int[] e1 = BatchIterator.epochOrder(50, 7, 1);
    assertThat(e0).isNotEqualTo(e1);
    assertThat(e0).containsExactlyInAnyOrder(e1);
    assertThat(BatchIterator.epochOrder(50, 7, 1)).isEqualTo(e1);
    assertThat(BatchIterator.epochOrder(50, 8, 1)).isNotEqualTo(e1);
  }

  @Test
  void resumingAtAStartBatchGivesTheBatchesOfAnUninterruptedRun() {
    BatchIterator straight = new BatchIterator(examples(10), 4, 5, 0);
    List<HostBatch> all = new ArrayList<>();
    for (int b = 0; b < 8; b++) {
      all.add(straight.next());
    }
    BatchIterator resumed = new BatchIterator(examples(10), 4, 5, 4);
    assertThat(resumed.position()).isEqualTo(4);
    for (int b = 4; b < 8; b++) {
      HostBatch expected = all.get(b);
      HostBatch actual = resumed.next();
      assertThat(actual.tokens()).isEqualTo(expected.tokens());
      assertThat(actual.segments()).isEqualTo(expected.segments());
      assertThat(actual.validLens()).isEqualTo(expected.validLens());
      assertThat(actual.predPositions()).isEqualTo(expected.predPositions());
      assertThat(actual.mlmWeights()).isEqualTo(expected.mlmWeights());
      assertThat(actual.mlmLabels()).isEqualTo(expected.mlmLabels());
      assertThat(actual.nspLabels()).isEqualTo(expected.nspLabels());
    }
  }

  @Test
  void inOrderIsOneUnshuffledPass() {
    List<HostBatch> batches = BatchIterator.inOrder(examples(10), 4);
    assertThat(batches).extracting(HostBatch::size).containsExactly(4, 4, 2);
    List<Integer> ids = new ArrayList<>();
    for (HostBatch b : batches) {
      for (int r = 0; r < b.size(); r++) {
        ids.add(id(b, r));
      }
    }
    assertThat(ids).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  }
}
