package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import org.junit.jupiter.api.Test;

class BertConfigTest {

  @Test
  void presetsHaveTheSpecSizes() {
    assertThat(BertConfig.d2l(20256)).isEqualTo(new BertConfig(20256, 128, 256, 2, 2, 0.2f, 1000));
    assertThat(BertConfig.base(30522)).isEqualTo(new BertConfig(30522, 768, 3072, 12, 12, 0.1f, 1000));
    assertThat(BertConfig.large(30522)).isEqualTo(new BertConfig(30522, 1024, 4096, 16, 24, 0.1f, 1000));
    assertThat(BertConfig.preset("base", 5)).isEqualTo(BertConfig.base(5));
    assertThat(BertConfig.d2l(7).headSize()).isEqualTo(64);
  }

  @Test
  void unknownPresetNamesTheChoices() {
    assertThatThrownBy(() -> BertConfig.preset("tiny", 5))
        .isInstanceOf(JbertException.class)
        .hasMessage("unknown model preset 'tiny'; use one of d2l, base, large, bert-tiny, bert-mini, bert-small,"
            + " bert-medium, bert-base, bert-large");
  }

  @Test
  void invalidSizesAreRejectedWithOneLineMessages() {
    assertThatThrownBy(() -> new BertConfig(10, 130, 256, 4, 2, 0.1f, 100))
        .isInstanceOf(JbertException.class)
        .hasMessageContaining("hidden (130) is not divisible by heads (4)");
    assertThatThrownBy(() -> new BertConfig(0, 128, 256, 2, 2, 0.1f, 100))
        .hasMessage("model config: vocab_size must be positive, got 0");
    assertThatThrownBy(() -> new BertConfig(10, 128, 256, 2, 2, 1f, 100))
        .hasMessageContaining("dropout 1.0 is outside [0, 1)");
    assertThatThrownBy(() -> new BertConfig(10, 128, 256, 2, 2, Float.NaN, 100)).isInstanceOf(JbertException.class);
    assertThatThrownBy(() -> new BertConfig(10, 128, 256, 2, 2, 0.1f, -1))
        .hasMessage("model config: max_positions must be positive, got -1");
  }

  @Test
  void jsonHasSortedSnakeCaseKeysAndRoundTrips() {
    BertConfig cfg = BertConfig.d2l(20256);
    String json = cfg.toJson();
    assertThat(json.replaceAll("\\s", ""))
        .isEqualTo(
            "{\"dropout\":0.2,\"ffn_hidden\":256,\"heads\":2,\"hidden\":128,\"layers\":2,"
                + "\"max_positions\":1000,\"vocab_size\":20256}");
    assertThat(BertConfig.fromJson(json)).isEqualTo(cfg);
  }

  @Test
  void jsonReadingRejectsUnknownMissingAndMistypedKeys() {
    String good = BertConfig.d2l(11).toJson();
    assertThatThrownBy(() -> BertConfig.fromJson(good.replace("\"heads\"", "\"num_heads\"")))
        .isInstanceOf(JbertException.class)
        .hasMessageStartingWith("model config: unknown key 'num_heads'");
    assertThatThrownBy(() -> BertConfig.fromJson("{\"hidden\": 8}"))
        .hasMessageStartingWith("model config: missing key 'vocab_size'");
    assertThatThrownBy(() -> BertConfig.fromJson(good.replace("128", "\"128\"")))
        .hasMessage("model config: 'hidden' must be a number, got \"128\"");
    assertThatThrownBy(() -> BertConfig.fromJson(good.replace("128", "128.5")))
        .hasMessage("model config: 'hidden' must be an integer, got 128.5");
    assertThatThrownBy(() -> BertConfig.fromJson("{not json"))
        .isInstanceOf(JbertException.class)
        .hasMessageStartingWith("model config: not valid JSON");
  }
}
