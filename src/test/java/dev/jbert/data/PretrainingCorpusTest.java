package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import dev.jbert.TestData;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainingCorpusTest {
  @TempDir Path dir;

  private Path write(String name, String text) throws Exception {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    return Files.writeString(file, text);
  }

  private static CorpusSpec spec(Path path, String format) {
    return new CorpusSpec(List.of(path.toString()), format, null, List.of(), 0.0);
  }

  /** {@code documents} documents of 2 to 4 sentences "dD sS w" over 3 words, one sentence per line. */
  private static String documents(int documents) {
    StringBuilder text = new StringBuilder();
    for (int d = 0; d < documents; d++) {
      for (int s = 0; s < 2 + d % 3; s++) {
        text.append("d").append(d).append(" s").append(s).append(" w\n");
      }
      text.append('\n');
    }
    return text.toString();
  }

  @Test
  void documentsPairConsecutiveSentencesOfADocumentAndDrawNotNextFromAnotherDocument() throws Exception {
    Path file = write("docs.txt", documents(60));
    PretrainingCorpus corpus = PretrainingCorpus.open(spec(file, "documents"));
    PretrainingDataset d = corpus.buildTrain(new DataConfig(64, 1, 4));
    // 60 documents of 2, 3, 4 sentences: 20 * (1 + 2 + 3) = 120 pairs, all short enough to be kept
    assertThat(d.stats().documents()).isEqualTo(60);
    assertThat(d.stats().sentences()).isEqualTo(180);
    assertThat(d.stats().tokens()).isEqualTo(540);
    assertThat(d.stats().unknownShare()).isZero();
    assertThat(d.examples()).hasSize(120);
    int notNext = 0;
    for (int i = 0; i < d.examples().size(); i++) {
      int[] s = d.source(i); // document and sentence of a, document and sentence of b
      String a = d.vocab().tokens().get(d.sentence(s[0], s[1])[0]);
      String b = d.vocab().tokens().get(d.sentence(s[2], s[3])[0]);
      if (d.examples().get(i).isNext()) {
        assertThat(b).isEqualTo(a); // the same document ("dN") ...
        assertThat(s[3]).isEqualTo(s[1] + 1); // ... its next sentence
      } else {
        assertThat(b).isNotEqualTo(a); // never the same document
        notNext++;
      }
    }
    assertThat(notNext).isBetween(40, 80); // 120 draws at 0.5
  }

  @Test
  void textSplitsSentencesWithBreakIteratorAndJoinsTheLinesOfABlankLineSeparatedParagraph() throws Exception {
    List<List<String>> wrapped = CorpusFormat.TEXT.documents(List.of("The cat sat. It was", "warm! Was it?", "",
        "Dogs bark."), Locale.ROOT);
    assertThat(wrapped).containsExactly(List.of("The cat sat.", "It was warm!", "Was it?"), List.of("Dogs bark."));
    // the JDK's rules: a decimal point and "e.g." stay inside, "Mr." ends a sentence; German's rules are the same
    String tricky = "Mr. Smith ran 3.5 km, e.g. here. Done.";
    List<String> expected = List.of("Mr.", "Smith ran 3.5 km, e.g. here.", "Done.");
    assertThat(CorpusFormat.sentences(tricky, Locale.ROOT)).isEqualTo(expected);
    assertThat(CorpusFormat.sentences(tricky, Locale.GERMAN)).isEqualTo(expected);
    List<List<String>> perLine = CorpusFormat.TEXT.documents(List.of("One. Two.", "Three."), Locale.ROOT);
    assertThat(perLine).containsExactly(List.of("One.", "Two."), List.of("Three."));
    assertThat(CorpusFormat.DOCUMENTS.documents(List.of(" a b ", "c", "", "", "d", "  "), Locale.ROOT))
        .containsExactly(List.of("a b", "c"), List.of("d"));
  }

  @Test
  void theFormatIsDetectedFromTheLayoutAndTheLines() throws Exception {
    PretrainingCorpus docs = PretrainingCorpus.open(spec(write("docs.txt", documents(5)), null));
    assertThat(docs.format()).isEqualTo(CorpusFormat.DOCUMENTS);
    assertThat(docs.detection()).contains("100% of the first 14 lines hold one sentence");
    PretrainingCorpus prose = PretrainingCorpus.open(spec(write("prose.txt",
        "A cat sat. It was warm.\nA dog barked. It ran.\nShort line.\n"), null));
    assertThat(prose.format()).isEqualTo(CorpusFormat.TEXT);
    assertThat(prose.detection()).contains("33% of the first 3 lines hold one sentence");
    PretrainingCorpus wiki = PretrainingCorpus.open(spec(TestData.sharedZip(), null));
    assertThat(wiki.format()).isEqualTo(CorpusFormat.WIKITEXT);
    assertThat(wiki.trainSha256()).isEqualTo(Corpus.open(TestData.sharedZip()).trainSha256());
    assertThat(wiki.spec().format()).isEqualTo("wikitext");
    // --format wins over the detection, and nothing is said about it
    PretrainingCorpus forced = PretrainingCorpus.open(spec(write("docs2.txt", documents(5)), "text"));
    assertThat(forced.format()).isEqualTo(CorpusFormat.TEXT);
    assertThat(forced.detection()).isEmpty();
  }

  @Test
  void severalFilesFoldersGlobsAndGzipAreOneCorpusWhoseChecksumSeesTheFileBoundaries() throws Exception {
    write("texts/a.txt", "x y\nz y\n");
    write("texts/sub/b.txt", "x z\ny y\n");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("texts/c.gz")))) {
      out.write("z x\nx x\n".getBytes(StandardCharsets.UTF_8));
    }
    PretrainingCorpus folder = PretrainingCorpus.open(spec(dir.resolve("texts"), "documents"));
    PretrainingCorpus glob = PretrainingCorpus.open(new CorpusSpec(List.of(dir.resolve("texts/*.txt").toString(),
        dir.resolve("texts/c.gz").toString(), dir.resolve("texts/s?b/*").toString()), "documents", null,
        List.of(), 0.0));
    // a file ends a document: 3 documents of 2 sentences
    assertThat(folder.buildTrain(new DataConfig(16, 1, 0)).stats().documents()).isEqualTo(3);
    assertThat(glob.trainSha256()).isEqualTo(folder.trainSha256()); // the same files in the same order
    assertThat(glob.spec().paths()).allMatch(p -> Path.of(p).isAbsolute());
    Path joined = write("joined.txt", "x y\nz y\nx z\ny y\nz x\nx x\n");
    assertThat(PretrainingCorpus.open(spec(joined, "documents")).trainSha256()).isNotEqualTo(folder.trainSha256());
  }

  @Test
  void aValidShareHoldsOutEveryNthDocumentAndValidReadsAnotherFile() throws Exception {
    Path file = write("docs.txt", documents(200));
    PretrainingCorpus held = PretrainingCorpus.open(new CorpusSpec(List.of(file.toString()), "documents", null,
        List.of(), null));
    assertThat(held.spec().validShare()).isEqualTo(CorpusSpec.DEFAULT_VALID_SHARE);
    assertThat(held.validDocuments()).isEqualTo(2); // every 100th of 200
    PretrainingDataset train = held.buildTrain(new DataConfig(64, 1, 0));
    assertThat(train.stats().documents()).isEqualTo(198);
    PretrainingDataset valid = held.buildValid(train.vocab(), new DataConfig(64, 1, 0)).orElseThrow();
    // documents 99 and 199 (2 and 3 sentences): 1 + 2 pairs, encoded with the training vocabulary
    assertThat(valid.stats().documents()).isEqualTo(2);
    assertThat(valid.examples()).hasSize(3);
    assertThat(valid.vocab()).isSameAs(train.vocab());
    assertThat(valid.stats().unknownShare()).isEqualTo(5 / 15.0); // "d99" and "d199" are not in training

    List<List<String>> out = new ArrayList<>();
    List<List<String>> kept = PretrainingCorpus.holdOut(List.of(List.of("0"), List.of("1"), List.of("2"),
        List.of("3"), List.of("4"), List.of("5"), List.of("6")), 0.3, out);
    assertThat(out).containsExactly(List.of("2"), List.of("6")); // floor(7 * 0.3) = 2: the 3rd and the 7th
    assertThat(kept).hasSize(5);

    Path validFile = write("valid.txt", "d0 s0 w\nd0 s1 w\n");
    PretrainingCorpus given = PretrainingCorpus.open(new CorpusSpec(List.of(file.toString()), "documents", null,
        List.of(validFile.toString()), null));
    assertThat(given.spec().validShare()).isZero();
    assertThat(given.buildTrain(new DataConfig(64, 1, 0)).stats().documents()).isEqualTo(200);
    assertThat(given.buildValid(train.vocab(), new DataConfig(64, 1, 0)).orElseThrow().examples()).hasSize(1);
    assertThat(PretrainingCorpus.open(spec(file, "documents")).buildValid(train.vocab(), DataConfig.defaults()))
        .isEmpty();
  }

  @Test
  void wikiTextKeepsItsOwnValidationFileUnlessValidNamesAnother() throws Exception {
    write("wiki/wiki.train.tokens", " a b . c d \n e f . a b \n");
    write("wiki/wiki.valid.tokens", " a b . c d \n");
    Path other = write("other.tokens", " e f . a b . c d \n");
    PretrainingCorpus own = PretrainingCorpus.open(spec(dir.resolve("wiki"), null));
    PretrainingDataset train = own.buildTrain(new DataConfig(16, 1, 0));
    assertThat(own.format()).isEqualTo(CorpusFormat.WIKITEXT);
    assertThat(own.buildValid(train.vocab(), new DataConfig(16, 1, 0)).orElseThrow().examples()).hasSize(1);
    PretrainingCorpus given = PretrainingCorpus.open(new CorpusSpec(List.of(dir.resolve("wiki").toString()), null,
        null, List.of(other.toString()), null));
    assertThat(given.buildValid(train.vocab(), new DataConfig(16, 1, 0)).orElseThrow().examples()).hasSize(2);
    assertThat(given.spec().valid()).containsExactly(other.toString());
    assertThat(given.trainSha256()).isEqualTo(own.trainSha256());
  }

  @Test
  void badCorporaAreOneLineErrorsNamingTheProblem() throws Exception {
    Path empty = write("empty.txt", "\n  \n\n");
    assertThatThrownBy(() -> PretrainingCorpus.open(spec(empty, null))).isInstanceOf(JbertException.class)
        .hasMessage("the corpus " + empty + " is empty: no line holds a word");
    Path binary = Files.write(dir.resolve("image.txt"), new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A,
        '\n', 0, 0});
    assertThatThrownBy(() -> PretrainingCorpus.open(spec(binary, null))).isInstanceOf(JbertException.class)
        .hasMessage(binary + " looks binary: a NUL byte at byte offset 8: pass UTF-8 text files");
    Path latin1 = Files.write(dir.resolve("latin1.txt"), "ok\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> PretrainingCorpus.open(spec(latin1, null)))
        .hasMessageStartingWith(latin1 + " is not UTF-8 text: invalid byte 0xE9 at byte offset 6");
    Path singles = write("singles.txt", "one sentence\n\nanother one\n\nand a third\n");
    assertThatThrownBy(() -> PretrainingCorpus.open(spec(singles, "documents")).buildTrain(DataConfig.defaults()))
        .isInstanceOf(JbertException.class)
        .hasMessage("the corpus gives no sentence pair: each of its 3 documents has one sentence, and next-sentence"
            + " prediction needs two in a row (documents format: one sentence per line, a blank line between"
            + " documents)");
    Path oneSentenceParagraphs = write("headlines.txt", "Markets rise.\nRain expected today.\n");
    assertThatThrownBy(() -> PretrainingCorpus.open(spec(oneSentenceParagraphs, "text"))
        .buildTrain(DataConfig.defaults())).hasMessageEndingWith("(text format: a paragraph of two sentences or more)");
    assertThatThrownBy(() -> PretrainingCorpus.open(spec(singles, "poems")))
        .hasMessage("unknown --format 'poems': use wikitext, documents or text (or leave it out to detect it)");
    assertThatThrownBy(() -> new CorpusSpec(List.of("x"), null, "no_such_locale!", List.of(), null))
        .hasMessageStartingWith("unknown --locale 'no_such_locale!'");
    assertThatThrownBy(() -> new CorpusSpec(List.of("x"), null, null, List.of("v.txt"), 0.1))
        .hasMessage("pass --valid or --valid-share, not both");
    assertThatThrownBy(() -> PretrainingCorpus.open(new CorpusSpec(List.of(TestData.sharedZip().toString()), null,
        null, List.of(), 0.1))).hasMessageStartingWith("WikiText-2 has its own validation split");
    assertThatThrownBy(() -> PretrainingCorpus.open(spec(dir.resolve("none/*.txt"), null)))
        .hasMessageStartingWith("no file matches " + dir.resolve("none/*.txt"));
    assertThatThrownBy(() -> PretrainingCorpus.open(spec(dir.resolve("missing.txt"), null)))
        .hasMessageStartingWith("no corpus at " + dir.resolve("missing.txt") + ": pass --data with text files");
  }
}
