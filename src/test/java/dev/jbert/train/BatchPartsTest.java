package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jbert.data.BatchIterator;
import dev.jbert.data.DataConfig;
import dev.jbert.data.HostBatch;
import dev.jbert.data.PretrainingDataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchPartsTest {
  private static final PretrainingDataset DATA =
      PretrainingDataset.build(TinyCorpus.lines(7, 300), new DataConfig(24, 5, 3));

  @Test
  void splitByLengthKeepsEveryExampleOnceOrderedByLengthAndCutsEachPartToItsLongest() {
    HostBatch batch = new BatchIterator(DATA.examples(), 37, 3, 0).next();
    List<HostBatch> parts = BatchParts.splitByLength(batch, 4);
    assertThat(parts).extracting(HostBatch::size).containsExactly(10, 9, 9, 9);
    List<String> seen = new ArrayList<>();
    float previous = 0;
    for (HostBatch part : parts) {
      float longest = 0;
      for (int i = 0; i < part.size(); i++) {
        float len = part.validLens()[i];
        assertThat(len).isGreaterThanOrEqualTo(previous);
        previous = len;
        longest = Math.max(longest, len);
        seen.add(example(part, i, (int) len));
      }
      assertThat(part.maxLen()).isEqualTo((int) longest);
    }
    assertThat(parts.get(0).maxLen()).as("the shortest part is cut").isLessThan(batch.maxLen());
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      expected.add(example(batch, i, (int) batch.validLens()[i]));
      for (int t = (int) batch.validLens()[i]; t < batch.maxLen(); t++) {
        assertThat(batch.tokens()[i * batch.maxLen() + t]).as("only padding is cut").isEqualTo((long) dev.jbert.data.Vocab.PAD);
      }
    }
    assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void theRanksSharesCoverTheBatchOnceInOrderAndKeepEachExamplesRowInTheWholeBatch() {
    HostBatch batch = new BatchIterator(DATA.examples(), 37, 3, 0).next();
    List<HostBatch> shares = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      shares.add(BatchParts.share(batch, r, 3));
    }
    assertThat(shares).extracting(HostBatch::size).containsExactly(13, 12, 12);
    int row = 0;
    for (HostBatch share : shares) {
      assertThat(share.maxLen()).isEqualTo(batch.maxLen()); // cut later, per part, by splitByLength
      for (int i = 0; i < share.size(); i++, row++) {
        // the dropout masks are keyed by this row, so an example gets the masks it gets in one process
        assertThat(share.rows()[i]).isEqualTo(row);
        assertThat(example(share, i, batch.maxLen())).isEqualTo(example(batch, row, batch.maxLen()));
      }
    }
    assertThat(row).isEqualTo(37);
    // more ranks than examples (a last partial batch): the ranks beyond get nothing
    HostBatch two = new BatchIterator(DATA.examples(), 2, 3, 0).next();
    assertThat(List.of(0, 1, 2, 3).stream().map(r -> BatchParts.share(two, r, 4).size())).containsExactly(1, 1, 0, 0);
  }

  @Test
  void aBatchOfFullLengthExamplesIsNotCopied() {
    HostBatch batch = new BatchIterator(DATA.examples(), 5, 3, 0).next();
    Arrays.fill(batch.validLens(), batch.maxLen());
    assertThat(BatchParts.trimmed(batch)).isSameAs(batch);
  }

  /** Everything an example contributes, its token rows up to {@code length}. */
  private static String example(HostBatch b, int i, int length) {
    int l = b.maxLen();
    int p = b.maxPreds();
    return Arrays.toString(Arrays.copyOfRange(b.tokens(), i * l, i * l + length))
        + Arrays.toString(Arrays.copyOfRange(b.segments(), i * l, i * l + length))
        + Arrays.toString(Arrays.copyOfRange(b.predPositions(), i * p, i * p + p))
        + Arrays.toString(Arrays.copyOfRange(b.mlmWeights(), i * p, i * p + p))
        + Arrays.toString(Arrays.copyOfRange(b.mlmLabels(), i * p, i * p + p))
        + b.nspLabels()[i] + "/" + b.validLens()[i];
  }
}
