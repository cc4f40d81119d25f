package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.jbert.JbertException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
  static final BertConfig SMALL = new BertConfig(11, 8, 16, 2, 2, 0.1f, 12);
  static NDManager manager;

  @TempDir Path dir;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  @Test
  void savedModelLoadsWithIdenticalWeightsAndOutputs() throws IOException {
    for (DataType dtype : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
      Path out = dir.resolve(dtype.toString());
      try (BertModel model = BertModel.create(SMALL, manager, dtype, 4);
          NDManager step = manager.newSubManager()) {
        ModelFiles.save(model, out);
        assertThat(out.toFile().list()).containsExactlyInAnyOrder("config.json", "model.safetensors");
        assertThat(BertConfig.fromJson(Files.readString(out.resolve("config.json")))).isEqualTo(SMALL);
        try (BertModel loaded = ModelFiles.load(out, manager)) {
          assertThat(loaded.config()).isEqualTo(SMALL);
          assertThat(loaded.dataType()).isEqualTo(dtype);
          assertThat(loaded.parameters().keySet()).containsExactlyElementsOf(model.parameters().keySet());
          NDArray tokens = step.create(new long[][] {{1, 5, 6, 2, 7, 2, 0}});
          NDArray segments = step.create(new long[][] {{0, 0, 0, 0, 1, 1, 0}});
          NDArray valid = step.create(new float[] {6});
          NDArray positions = step.create(new long[][] {{2, 4}});
          BertOutput a = model.forward(tokens, segments, valid, positions, false);
          BertOutput b = loaded.forward(tokens, segments, valid, positions, false);
          assertThat(b.encoded().toType(DataType.FLOAT64, false).toDoubleArray())
              .containsExactly(a.encoded().toType(DataType.FLOAT64, false).toDoubleArray());
          assertThat(b.mlmLogitsOrNull().contentEquals(a.mlmLogitsOrNull())).isTrue();
          assertThat(b.nspLogits().contentEquals(a.nspLogits())).isTrue();
          assertThat(loaded.parameters().values()).allMatch(NDArray::hasGradient);
        }
      }
    }
  }

  @Test
  void missingFilesAndMismatchedWeightsGiveOneLineErrors() throws IOException {
    assertThatThrownBy(() -> ModelFiles.load(dir, manager))
        .isInstanceOf(JbertException.class)
        .hasMessage("no config.json in " + dir + "; point to a folder written by jbert pretrain");
    try (BertModel model = BertModel.create(SMALL, manager, DataType.FLOAT32, 4);
        NDManager scratch = manager.newSubManager()) {
      ModelFiles.save(model, dir);
      Files.writeString(dir.resolve("config.json"), new BertConfig(12, 8, 16, 2, 2, 0.1f, 12).toJson());
      assertThatThrownBy(() -> ModelFiles.load(dir, manager))
          .isInstanceOf(JbertException.class)
          .hasMessage(dir.resolve("model.safetensors") + " does not match config.json: weights do not match the"
              + " model config: encoder.token_embedding.weight has shape (11, 8), expected (12, 8);"
              + " mlm.mlp.3.weight has shape (11, 8), expected (12, 8); mlm.mlp.3.bias has shape (11), expected (12)");

      Files.writeString(dir.resolve("config.json"), SMALL.toJson().replace("\"heads\"", "\"n_heads\""));
      assertThatThrownBy(() -> ModelFiles.load(dir, manager))
          .hasMessageStartingWith(dir.resolve("config.json") + ": model config: unknown key 'n_heads'");

      Files.writeString(dir.resolve("config.json"), SMALL.toJson());
      Map<String, NDArray> weights = new LinkedHashMap<>(model.parameters());
      weights.remove("hidden.0.bias");
      SafeTensors.write(dir.resolve("model.safetensors"), weights, Map.of());
      assertThatThrownBy(() -> ModelFiles.load(dir, manager))
          .hasMessageEndingWith("weights do not match the model config: missing hidden.0.bias");
    }
  }
}
