package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import dev.jbert.TestData;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExampleCacheTest {
  private static final PretrainingCorpus WIKITEXT = PretrainingCorpus.open(CorpusSpec.of(TestData.sharedZip()));

  @Test
  void cachedExamplesOfWikiText2AreTheInMemoryOnesAndASecondOpenReusesThem(@TempDir Path dir) throws IOException {
    DataConfig config = new DataConfig(64, 5, 0, true);
    ExampleCache cache = new ExampleCache(dir);
    PretrainingDataset memory = WIKITEXT.buildTrain(config, null, null);
    PretrainingDataset built = WIKITEXT.buildTrain(config, null, cache);
    PretrainingDataset reused = WIKITEXT.buildTrain(config, null, cache);

    assertThat(memory.cache()).isEmpty();
    assertThat(built.cache().orElseThrow().reused()).isFalse();
    assertThat(reused.cache().orElseThrow().reused()).isTrue();
    assertThat(reused.cache().orElseThrow().file()).isEqualTo(built.cache().orElseThrow().file());
    for (PretrainingDataset d : List.of(built, reused)) {
      assertThat(d.examples()).hasSize(43614).isEqualTo(memory.examples());
      assertThat(d.examples(1)).isEqualTo(memory.examples(1)); // dynamic masks drawn from the mapped pairs
      assertThat(d.vocab()).isEqualTo(memory.vocab());
      assertThat(d.vocab().size()).isEqualTo(20256);
      assertThat(d.draws()).isEqualTo(memory.draws());
      assertThat(d.stats().withSeconds(0)).isEqualTo(memory.stats().withSeconds(0));
      assertThat(d.source(17)).isEqualTo(memory.source(17));
    }
    assertThat(built.originalTokenIds(5)).isEqualTo(memory.originalTokenIds(5)); // the text of a fresh build
    assertThatThrownBy(() -> reused.sentence(0, 0)).isInstanceOf(IllegalStateException.class);
    // each record holds 8 ints, its tokens and 2 per prediction, its index entry 2; the footer (vocabulary) follows
    DatasetStats s = memory.stats();
    long records = Math.round(s.examples() * (8 + s.meanValidLen() + 2 * s.meanMlmPreds() + 2)) * 4;
    assertThat(size(built.cache().orElseThrow().file())).isBetween(records, records + 400_000);
    assertThat(files(dir)).hasSize(1); // no temporary file left
  }

  @Test
  void theKeyChangesWithEverySettingThatChangesTheExamplesAndOnlyWithThose() {
    DataConfig d = DataConfig.defaults();
    String key = ExampleCache.key("abc", "format wikitext", d, null);
    assertThat(ExampleCache.key("abc", "format wikitext", d, null)).isEqualTo(key);
    assertThat(ExampleCache.key("abc", "format wikitext", new DataConfig(64, 5, 0, true), null))
        .as("dynamic masking draws at batch time").isEqualTo(key);
    List<String> others = List.of(
        ExampleCache.key("abd", "format wikitext", d, null),
        ExampleCache.key("abc", "format documents", d, null),
        ExampleCache.key("abc", "format wikitext", d.withMaxLen(128), null),
        ExampleCache.key("abc", "format wikitext", d.withSeed(1), null),
        ExampleCache.key("abc", "format wikitext", new DataConfig(64, 3, 0), null),
        ExampleCache.key("abc", "format wikitext", d.withMasking(d.masking().withRate(0.2)), null),
        ExampleCache.key("abc", "format wikitext", d.withMasking(d.masking().withSplit("0.7,0.2,0.1")), null),
        ExampleCache.key("abc", "format wikitext", d.withMasking(d.masking().withWholeWord(true)), null),
        ExampleCache.key("abc", "format wikitext", d, Vocab.of(List.of("<unk>", "<pad>", "<mask>", "<cls>", "<sep>"))),
        ExampleCache.key("abc", "format wikitext", d, Vocab.of(
            List.of("<unk>", "<pad>", "<mask>", "<cls>", "<sep>", "a"))));
    assertThat(others).doesNotContain(key).doesNotHaveDuplicates();
  }

  @Test
  void aTruncatedOrCorruptFileIsRebuiltToTheSameExamples(@TempDir Path dir) throws IOException {
    PretrainingCorpus corpus = PretrainingCorpus.open(spec(dir, 40));
    ExampleCache cache = new ExampleCache(dir.resolve("cache"));
    // the mapping sees the damage done to the file in place: compare with examples built in memory
    List<PretrainingExample> expected = corpus.buildTrain(DataConfig.defaults(), null, null).examples();
    Path file = corpus.buildTrain(DataConfig.defaults(), null, cache).cache().orElseThrow().file();
    long size = size(file);
    assertThat(expected).hasSizeGreaterThan(30);

    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) { // one token id changed
      f.seek(9 * 4);
      f.writeInt(f.readInt() + 1);
    }
    PretrainingDataset afterCorruption = corpus.buildTrain(DataConfig.defaults(), null, cache);
    assertThat(afterCorruption.cache().orElseThrow().reused()).isFalse();
    assertThat(afterCorruption.examples()).isEqualTo(expected);

    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size - 100);
    }
    PretrainingDataset afterTruncation = corpus.buildTrain(DataConfig.defaults(), null, cache);
    assertThat(afterTruncation.cache().orElseThrow().reused()).isFalse();
    assertThat(afterTruncation.examples()).isEqualTo(expected);
    assertThat(size(file)).isGreaterThan(size - 100);

    Files.writeString(file, "not a cache");
    assertThat(corpus.buildTrain(DataConfig.defaults(), null, cache).examples()).isEqualTo(expected);
  }

  @Test
  void aReusedFileIsNotWrittenAgainAndOtherSettingsGetAFileOfTheirOwn(@TempDir Path dir) throws IOException {
    PretrainingCorpus corpus = PretrainingCorpus.open(spec(dir, 40));
    ExampleCache cache = new ExampleCache(dir.resolve("cache"));
    Path file = corpus.buildTrain(DataConfig.defaults(), null, cache).cache().orElseThrow().file();
    FileTime written = Files.getLastModifiedTime(file);
    Files.setLastModifiedTime(file, FileTime.fromMillis(written.toMillis() - 60_000));
    PretrainingDataset again = corpus.buildTrain(DataConfig.defaults(), null, cache);
    assertThat(again.cache().orElseThrow().reused()).isTrue();
    assertThat(Files.getLastModifiedTime(file).toMillis()).isEqualTo(written.toMillis() - 60_000);

    PretrainingDataset seed1 = corpus.buildTrain(DataConfig.defaults().withSeed(1), null, cache);
    assertThat(seed1.cache().orElseThrow().file()).isNotEqualTo(file);
    assertThat(seed1.examples()).isNotEqualTo(again.examples());
    assertThat(files(dir.resolve("cache"))).hasSize(2);
  }

  @Test
  void aBuildThatFailsLeavesNoFile(@TempDir Path dir) throws IOException {
    Path text = Files.writeString(dir.resolve("one.txt"), "only one sentence here\n\nand one more alone\n");
    PretrainingCorpus corpus = PretrainingCorpus.open(new CorpusSpec(List.of(text.toString()), "documents", null,
        List.of(), 0.0));
    ExampleCache cache = new ExampleCache(dir.resolve("cache"));
    assertThatThrownBy(() -> corpus.buildTrain(DataConfig.defaults(), null, cache))
        .isInstanceOf(JbertException.class).hasMessageStartingWith("the corpus gives no sentence pair");
    assertThat(files(dir.resolve("cache"))).isEmpty();
  }

  @Test
  void wordPieceExamplesAreCachedUnderTheirVocabulary(@TempDir Path dir) throws IOException {
    PretrainingCorpus corpus = PretrainingCorpus.open(spec(dir, 40));
    Tokenizer wordPiece = corpus.trainWordPiece(dev.jbert.data.wordpiece.VocabConfig.uncased(200)).tokenizer();
    ExampleCache cache = new ExampleCache(dir.resolve("cache"));
    PretrainingDataset memory = corpus.buildTrain(DataConfig.defaults(), wordPiece, null);
    corpus.buildTrain(DataConfig.defaults(), wordPiece, cache);
    PretrainingDataset reused = corpus.buildTrain(DataConfig.defaults(), wordPiece, cache);
    assertThat(reused.cache().orElseThrow().reused()).isTrue();
    assertThat(reused.examples()).isEqualTo(memory.examples());
    assertThat(reused.vocab()).isSameAs(wordPiece);
  }

  /** A documents corpus of {@code n} documents of three sentences. */
  private static CorpusSpec spec(Path dir, int n) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int d = 0; d < n; d++) {
      text.append("the cat number ").append(d).append(" sat on the mat\n")
          .append("a dog ran after it ").append(d % 7).append(" times\n")
          .append("then both slept in the sun\n\n");
    }
    Path file = Files.writeString(dir.resolve("docs.txt"), text);
    return new CorpusSpec(List.of(file.toString()), "documents", null, List.of(), 0.0);
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<Path> files(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }
}
