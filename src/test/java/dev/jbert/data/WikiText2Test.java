package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jbert.ChildJvm;
import dev.jbert.TestData;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.function.IntFunction;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole training split of the shared WikiText-2 copy, max_len 64, seed 0: every rule over every example. */
class WikiText2Test {
  private static Corpus corpus;
  private static PretrainingDataset dataset;

  @BeforeAll
  static void build() {
    corpus = Corpus.open(TestData.sharedZip());
    dataset = PretrainingDataset.build(corpus.trainLines(), DataConfig.defaults());
  }

  @Test
  void vocabularyHasD2lsSize20256AndFrequencyHead() {
    assertThat(dataset.vocab().size()).isEqualTo(20256);
    assertThat(dataset.stats().vocabHead())
        .containsExactly("<unk>", "<pad>", "<mask>", "<cls>", "<sep>", "the", ",", "of", "and", "in", "to", "a");
  }

  @Test
  void countsParagraphsSentencesAndPairsAsD2l() {
    // numbers from d2l's _read_wiki on the same file: 15496 paragraphs, 74631 sentences, 59135 = sum(len - 1) pairs
    assertThat(dataset.stats().documents()).isEqualTo(15496);
    assertThat(dataset.stats().sentences()).isEqualTo(74631);
    assertThat(dataset.draws().pairsDrawn()).isEqualTo(59135);
    assertThat(dataset.stats().examples()).isEqualTo(dataset.examples().size()).isBetween(43000, 44300);
    assertThat(corpus.trainSha256()).isEqualTo("95d391461f8b518e0dbe99ddf539b93799909340b89425b45c35483d3389f122");
    assertThat(dataset.stats().corpusSha256()).isEqualTo(corpus.trainSha256());
  }

  @Test
  void everyExampleIsClsASepBSepWithMatchingSegmentsAndPadding() {
    List<PretrainingExample> examples = dataset.examples();
    for (int i = 0; i < examples.size(); i++) {
      PretrainingExample e = examples.get(i);
      int[] original = dataset.originalTokenIds(i);
      int len = e.validLen();
      assertThat(len).isEqualTo(original.length).isLessThanOrEqualTo(64);
      assertThat(e.tokenIds()).hasSize(64);
      assertThat(e.tokenIds()[0]).isEqualTo(Vocab.CLS);
      int firstSep = -1;
      for (int t = 0; t < 64; t++) {
        if (t >= len) {
          assertThat(e.tokenIds()[t]).isEqualTo(Vocab.PAD);
          assertThat(e.segments()[t]).isZero();
        } else if (e.segments()[t] == 1 && firstSep < 0) {
          firstSep = t - 1; // the segment turns to 1 right after the first <sep>
        }
      }
      assertThat(firstSep).isPositive();
      assertThat(e.tokenIds()[firstSep]).as("first <sep> of example %d", i).isEqualTo(Vocab.SEP);
      assertThat(e.tokenIds()[len - 1]).isEqualTo(Vocab.SEP);
      assertThat(original[firstSep]).isEqualTo(Vocab.SEP);
      for (int t = 0; t < len; t++) {
        assertThat(e.segments()[t]).isEqualTo(t <= firstSep ? 0 : 1);
      }
    }
  }

  /**
   * Spec section 5 for every example: the number of predictions, increasing real positions with weight 1, labels the
   * original tokens, padding slots 0, every other position unchanged. Returns the counts {masked, kept, randomized,
   * predictions}.
   */
  static long[] checkMaskedLmRules(List<PretrainingExample> examples, IntFunction<int[]> originalTokenIds) {
    long masked = 0;
    long kept = 0;
    long randomized = 0;
    long preds = 0;
    for (int i = 0; i < examples.size(); i++) {
      PretrainingExample e = examples.get(i);
      int[] original = originalTokenIds.apply(i);
      int n = e.numPreds();
      assertThat(n).isEqualTo(Math.min(MaskConfig.d2l().predictions(e.validLen()), e.validLen() - 3));
      preds += n;
      boolean[] predicted = new boolean[e.tokenIds().length];
      for (int k = 0; k < e.predPositions().length; k++) {
        if (k < n) {
          int pos = e.predPositions()[k];
          assertThat(e.mlmWeights()[k]).isEqualTo(1f);
          if (k > 0) {
            assertThat(pos).isGreaterThan(e.predPositions()[k - 1]);
          }
          assertThat(pos).isPositive().isLessThan(e.validLen());
          assertThat(original[pos]).isNotIn(Vocab.CLS, Vocab.SEP, Vocab.PAD);
          assertThat(e.mlmLabels()[k]).isEqualTo(original[pos]);
          predicted[pos] = true;
          int token = e.tokenIds()[pos];
          if (token == Vocab.MASK) {
            masked++;
          } else if (token == original[pos]) {
            kept++;
          } else {
            randomized++;
          }
        } else {
          assertThat(e.mlmWeights()[k]).isZero();
          assertThat(e.predPositions()[k]).isZero();
          assertThat(e.mlmLabels()[k]).isZero();
        }
      }
      for (int t = 0; t < e.validLen(); t++) {
        if (!predicted[t]) {
          assertThat(e.tokenIds()[t]).isEqualTo(original[t]);
        }
      }
    }
    return new long[] {masked, kept, randomized, preds};
  }

  @Test
  void predictionsAreIncreasingRealTokensWithWeightsAndOriginalLabels() {
    List<PretrainingExample> examples = dataset.examples();
    long[] counts = checkMaskedLmRules(examples, dataset::originalTokenIds);
    long masked = counts[0];
    long kept = counts[1];
    long randomized = counts[2];
    long preds = counts[3];
    assertThat(preds).isEqualTo(dataset.draws().masked() + dataset.draws().kept() + dataset.draws().randomized());
    assertThat(dataset.stats().meanMlmPreds()).isCloseTo((double) preds / examples.size(), within(1e-12));
    // a random token equal to <mask> or to the original counts as mask/keep here: 2 in 20256, far below 1 point
    assertThat((double) masked / preds).isCloseTo(0.8, within(0.01));
    assertThat((double) kept / preds).isCloseTo(0.1, within(0.01));
    assertThat((double) randomized / preds).isCloseTo(0.1, within(0.01));
    PretrainingDataset.DrawCounts draws = dataset.draws();
    assertThat((double) draws.masked() / preds).isCloseTo(0.8, within(0.01));
    assertThat((double) draws.kept() / preds).isCloseTo(0.1, within(0.01));
    assertThat((double) draws.randomized() / preds).isCloseTo(0.1, within(0.01));
  }

  @Test
  void isNextIsDrawnWithProbabilityHalfBeforeTheMaxLenDrop() {
    PretrainingDataset.DrawCounts draws = dataset.draws();
    assertThat((double) draws.isNextDrawn() / draws.pairsDrawn()).isCloseTo(0.5, within(0.01));
    // after the drop slightly more random pairs are gone (spec section 4: about 0.508)
    assertThat(dataset.stats().isNextFraction()).isBetween(0.5, 0.52);
    long kept = dataset.examples().stream().filter(PretrainingExample::isNext).count();
    assertThat(dataset.stats().isNextFraction()).isEqualTo((double) kept / dataset.examples().size());
  }

  @Test
  void trueNextPairsJoinConsecutiveSentencesOfOneParagraph() {
    for (int i = 0; i < dataset.examples().size(); i++) {
      int[] s = dataset.source(i);
      if (dataset.examples().get(i).isNext()) {
        assertThat(s[2]).isEqualTo(s[0]);
        assertThat(s[3]).isEqualTo(s[1] + 1);
      }
    }
  }

  /**
   * The build cuts the corpus into chunks by the JVM's processor count and runs them on the common pool; the examples
   * must not depend on either. Child JVMs that see 1 and 16 processors (8 and 128 tokenizer chunks, a pool of 1 and
   * 15 threads, against this JVM's own) build the same vocabulary and examples, compared through a SHA-256 of every
   * field; a rebuild in this JVM inside a one-thread pool gives equal examples too.
   */
  @Test
  void theExamplesDoNotDependOnTheProcessorCountOrTheThreadSchedule() throws Exception {
    String here = digest(dataset);
    for (int processors : new int[] {1, 16}) {
      ChildJvm.Result child = ChildJvm.run(DigestMain.class, List.of("-XX:ActiveProcessorCount=" + processors,
          "-Xmx1g"), Path.of("."), Map.of(), 300, TestData.sharedZip().toString());
      assertThat(child.exitCode()).as("child JVM with %d processors: %s", processors, child.stderr()).isZero();
      assertThat(child.stdout().strip()).as("digest with %d processors", processors)
          .isEqualTo(processors + " " + dataset.vocab().size() + " " + dataset.examples().size() + " " + here);
    }
    ForkJoinPool single = new ForkJoinPool(1);
    try {
      PretrainingDataset again =
          single.submit(() -> PretrainingDataset.build(corpus.trainLines(), DataConfig.defaults())).get();
      assertThat(again.vocab()).isEqualTo(dataset.vocab());
      assertThat(again.examples()).isEqualTo(dataset.examples());
    } finally {
      single.shutdown();
    }
  }

  /**
   * The default settings build exactly the examples they built before the own-corpus options existed (format, masking
   * rate and split, whole-word masking): the digest was taken from commit 931c0c9, so any change of the d2l path shows.
   */
  @Test
  void theDefaultSettingsBuildTheSameExamplesAsBeforeTheCorpusAndMaskingOptions() throws Exception {
    assertThat(digest(dataset)).isEqualTo("def2ad01897079e5421528af15462f2f056800385e610ce470cb1221a2bf1dc3");
  }

  @Test
  void wholeWordMaskingGivesTheSameExamplesSinceD2lsWordsHaveNoPieces() throws Exception {
    assertThat(dataset.vocab().tokens()).noneMatch(t -> t.startsWith(MaskConfig.CONTINUATION));
    PretrainingDataset wholeWords = PretrainingDataset.build(corpus.trainLines(),
        DataConfig.defaults().withMasking(MaskConfig.d2l().withWholeWord(true)));
    assertThat(digest(wholeWords)).isEqualTo(digest(dataset));
  }

  /** A SHA-256 over the vocabulary in id order and every field of every example, in order. */
  static String digest(PretrainingDataset d) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    ByteBuffer buf = ByteBuffer.allocate(1 << 12);
    for (String token : d.vocab().tokens()) {
      sha.update(token.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
    }
    for (PretrainingExample e : d.examples()) {
      buf.clear();
      for (int[] ints : new int[][] {e.tokenIds(), e.segments(), e.predPositions(), e.mlmLabels()}) {
        buf.putInt(ints.length);
        for (int v : ints) {
          buf.putInt(v);
        }
      }
      for (float w : e.mlmWeights()) {
        buf.putFloat(w);
      }
      buf.putInt(e.validLen()).put((byte) (e.isNext() ? 1 : 0));
      sha.update(buf.flip());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Builds the training split of the zip given as argument and prints processors, sizes and {@link #digest}. */
  public static final class DigestMain {
    public static void main(String[] args) throws Exception {
      PretrainingDataset d = PretrainingDataset.build(Corpus.open(Path.of(args[0])).trainLines(), DataConfig.defaults());
      System.out.println(Runtime.getRuntime().availableProcessors() + " " + d.vocab().size() + " "
          + d.examples().size() + " " + digest(d));
    }
  }

  /**
   * Held-out numbers are only comparable with others' if the valid and test files are WikiText-2's own. Their SHA-1s
   * are the ones GluonNLP's WikiText2 dataset lists beside the original archive's (3c914d17...); the training file is a
   * different copy (../shared/data/README.md), so it must not match the original's 863f29c4....
   */
  @Test
  void validAndTestFilesAreTheOfficialOnesAndTrainIsNot() throws Exception {
    try (ZipFile zip = new ZipFile(TestData.sharedZip().toFile())) {
      assertThat(sha1(zip, "wikitext-2/wiki.valid.tokens")).isEqualTo("0418625c8b4da6e4b5c7a0b9e78d4ae8f7ee5422");
      assertThat(sha1(zip, "wikitext-2/wiki.test.tokens")).isEqualTo("c7b8ce0aa086fb34dab808c5c49224211eb2b172");
      assertThat(sha1(zip, "wikitext-2/wiki.train.tokens")).isNotEqualTo("863f29c46ef9d167fff4940ec821195882fe29d1");
    }
  }

  private static String sha1(ZipFile zip, String entry) throws Exception {
    try (InputStream in = zip.getInputStream(zip.getEntry(entry))) {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(in.readAllBytes()));
    }
  }

  @Test
  void validationSplitUsesTheTrainingVocabulary() {
    List<String> valid = corpus.validLines().orElseThrow();
    assertThat(valid).hasSize(3760);
    PretrainingDataset v = PretrainingDataset.build(valid, dataset.vocab(), DataConfig.defaults());
    assertThat(v.vocab()).isSameAs(dataset.vocab());
    assertThat(v.examples()).hasSizeGreaterThan(3000);
  }
}
