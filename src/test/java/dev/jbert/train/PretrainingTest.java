package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import dev.jbert.data.CorpusSpec;
import dev.jbert.data.DataConfig;
import dev.jbert.data.PretrainingCorpus;
import dev.jbert.model.BertConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks {@link Pretraining} makes before it trains. */
class PretrainingTest {
  @Test
  void aResumeRefusesACorpusReadInAnotherFormatBeforeReadingTheCheckpoint(@TempDir Path tmp) throws Exception {
    Path docs = Files.writeString(tmp.resolve("docs.txt"), "a b\nc d\n\ne f\ng h\n");
    CorpusSpec saved = new CorpusSpec(List.of(docs.toString()), "documents", null, List.of(), 0.01);
    RunFolder run = new RunFolder(Files.createDirectories(tmp.resolve("run")));
    run.writeConfig(new RunConfig(new BertConfig(20, 16, 32, 2, 1, 0.1f, 64), DataConfig.defaults(),
        TrainConfig.reference(), List.of("cpu"), "sha", "test", List.of(), saved, null));
    PretrainingCorpus asText = PretrainingCorpus.open(new CorpusSpec(List.of(docs.toString()), "text", "de",
        List.of(), 0.01));
    assertThatThrownBy(() -> Pretraining.builder().resume(run.dir()).corpus(asText).build().run())
        .isInstanceOf(JbertException.class)
        .hasMessage("the corpus is read with format text, locale de, validation share 0.01, but run " + run.dir()
            + " was started with format documents, locale root, validation share 0.01: resume it with its own"
            + " settings");
    try (var files = Files.list(run.dir())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("config.json");
    }
  }
}
