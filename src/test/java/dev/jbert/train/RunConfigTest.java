package dev.jbert.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jbert.Json;
import dev.jbert.data.CorpusSpec;
import dev.jbert.data.DataConfig;
import dev.jbert.data.MaskConfig;
import dev.jbert.data.TokenizerConfig;
import dev.jbert.model.BertConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunConfigTest {
  private static RunConfig config(DataConfig data, CorpusSpec corpus) {
    return new RunConfig(new BertConfig(20, 16, 32, 2, 1, 0.1f, 64), data, TrainConfig.reference(), List.of("cpu"),
        "sha", "test", List.of(), corpus, null);
  }

  @Test
  void theCorpusAndTheMaskingRoundTripThroughConfigJson(@TempDir Path dir) {
    CorpusSpec corpus = new CorpusSpec(List.of("/texts/a.txt", "/texts/b.gz"), "text", "de", List.of(), 0.05);
    DataConfig data = new DataConfig(32, 5, 7, true, new MaskConfig(0.2, 0.7, 0.2, 0.1, true));
    RunFolder run = new RunFolder(dir);
    run.writeConfig(config(data, corpus));
    RunConfig read = run.readConfig();
    assertThat(read.corpus()).isEqualTo(corpus);
    assertThat(read.data()).isEqualTo(data);
    assertThat(read.data().maxPreds()).isEqualTo(6); // round(32 * 0.2)
  }

  @Test
  void aConfigWrittenBeforeCorpusAndMaskingWereRecordedReadsAsD2lsMaskingAndNoCorpus(@TempDir Path dir)
      throws Exception {
    RunFolder run = new RunFolder(dir);
    run.writeConfig(config(DataConfig.defaults(), null));
    ObjectNode json = (ObjectNode) Json.mapper().readTree(run.file(RunFolder.CONFIG).toFile());
    json.remove("corpus");
    ((ObjectNode) json.get("data")).remove("masking");
    Files.writeString(run.file(RunFolder.CONFIG), json.toString());
    RunConfig read = run.readConfig();
    assertThat(read.corpus()).isNull(); // a resume looks WikiText-2 up, as before
    assertThat(read.data()).isEqualTo(DataConfig.defaults());
    assertThat(read.data().masking()).isEqualTo(MaskConfig.d2l());
  }

  @Test
  void theTokenizerRoundTripsThroughConfigJsonAndIsD2lsWordsWhenAbsent(@TempDir Path dir) throws Exception {
    DataConfig data = DataConfig.defaults().withTokenizer(TokenizerConfig.wordPiece("/vocabs/bert", null));
    RunFolder run = new RunFolder(dir);
    run.writeConfig(config(data, null));
    assertThat(run.readConfig().data().tokenizer()).isEqualTo(new TokenizerConfig("wordpiece", "/vocabs/bert", null));
    assertThat(TokenizerConfig.wordPiece(null, null).vocabSize()).isEqualTo(30522); // BERT's, trained on the text

    ObjectNode json = (ObjectNode) Json.mapper().readTree(run.file(RunFolder.CONFIG).toFile());
    ((ObjectNode) json.get("data")).remove("tokenizer"); // a run folder written before the option existed
    Files.writeString(run.file(RunFolder.CONFIG), json.toString());
    assertThat(run.readConfig().data().tokenizer()).isEqualTo(TokenizerConfig.words());
  }

  @Test
  void aResumeRecordsAMovedCorpus() {
    CorpusSpec before = new CorpusSpec(List.of("/old/docs.txt"), "documents", null, List.of(), 0.01);
    RunConfig resumed = config(DataConfig.defaults(), before).resumed(2, TrainConfig.reference(), List.of("cpu"),
        before.withPaths(List.of("/new/docs.txt")), "test");
    assertThat(resumed.corpus().paths()).containsExactly("/new/docs.txt");
    assertThat(resumed.resumes().get(0).changed()).containsEntry("data", "/old/docs.txt -> /new/docs.txt");
  }
}
