package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
  static final BertConfig SMALL = new BertConfig(11, 8, 16, 2, 2, 0.1f, 12);
  @TempDir Path dir;

  @Test
  void savedModelLoadsWithIdenticalWeightsAndOutputs() throws IOException {
    for (ScalarType dtype : new ScalarType[] {ScalarType.Float, ScalarType.Double}) {
      Path out = dir.resolve(BertModel.dtypeName(dtype));
      try (BertModel model = BertModel.create(SMALL, dtype, "cpu", 4)) {
        ModelFiles.save(model, out);
        assertThat(out.toFile().list()).containsExactlyInAnyOrder("config.json", "model.safetensors");
        assertThat(BertConfig.fromJson(Files.readString(out.resolve("config.json")))).isEqualTo(SMALL);
        try (BertModel loaded = ModelFiles.load(out, "cpu");
            PointerScope step = new PointerScope();
            NoGradGuard inference = new NoGradGuard()) {
          assertThat(loaded.config()).isEqualTo(SMALL);
          assertThat(loaded.dataType()).isEqualTo(dtype);
          assertThat(loaded.parameters().keySet()).containsExactlyElementsOf(model.parameters().keySet());
          Tensor tokens = Torch.longs(new long[] {1, 5, 6, 2, 7, 2, 0}, 1, 7);
          Tensor segments = Torch.longs(new long[] {0, 0, 0, 0, 1, 1, 0}, 1, 7);
          Tensor valid = Torch.floats(new float[] {6});
          Tensor positions = Torch.longs(new long[] {2, 4}, 1, 2);
          BertOutput a = model.forward(tokens, segments, valid, positions, null);
          BertOutput b = loaded.forward(tokens, segments, valid, positions, null);
          assertThat(Torch.toDoubles(b.encoded())).containsExactly(Torch.toDoubles(a.encoded()));
          assertThat(b.mlmLogitsOrNull().equal(a.mlmLogitsOrNull())).isTrue();
          assertThat(b.nspLogits().equal(a.nspLogits())).isTrue();
          assertThat(loaded.parameters().values()).allMatch(Tensor::requires_grad);
        }
      }
    }
  }

  @Test
  void missingFilesAndMismatchedWeightsGiveOneLineErrors() throws IOException {
    assertThatThrownBy(() -> ModelFiles.load(dir, "cpu"))
        .isInstanceOf(JbertException.class)
        .hasMessage("no config.json in " + dir + "; point to a folder written by jbert pretrain"
            + " or a Hugging Face BERT folder");
    try (BertModel model = BertModel.create(SMALL, ScalarType.Float, "cpu", 4)) {
      ModelFiles.save(model, dir);
      Files.writeString(dir.resolve("config.json"), new BertConfig(12, 8, 16, 2, 2, 0.1f, 12).toJson());
      assertThatThrownBy(() -> ModelFiles.load(dir, "cpu"))
          .isInstanceOf(JbertException.class)
          .hasMessage(dir.resolve("model.safetensors") + " does not match config.json: weights do not match the"
              + " model config: encoder.token_embedding.weight has shape (11, 8), expected (12, 8);"
              + " mlm.mlp.3.weight has shape (11, 8), expected (12, 8); mlm.mlp.3.bias has shape (11), expected (12)");

      Files.writeString(dir.resolve("config.json"), SMALL.toJson().replace("\"heads\"", "\"n_heads\""));
      assertThatThrownBy(() -> ModelFiles.load(dir, "cpu"))
          .hasMessageStartingWith(dir.resolve("config.json") + ": model config: unknown key 'n_heads'");

      Files.writeString(dir.resolve("config.json"), SMALL.toJson());
      Map<String, Tensor> weights = new LinkedHashMap<>(model.parameters());
      weights.remove("hidden.0.bias");
      SafeTensors.write(dir.resolve("model.safetensors"), weights, Map.of());
      assertThatThrownBy(() -> ModelFiles.load(dir, "cpu"))
          .hasMessageEndingWith("weights do not match the model config: missing hidden.0.bias");
    }
  }
}
