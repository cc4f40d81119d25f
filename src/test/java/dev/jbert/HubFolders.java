package dev.jbert;

import dev.jbert.model.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/** Hugging Face folders laid out as the published ones, from {@code tools/make_golden_hub_bert.py}'s golden folder. */
public final class HubFolders {
  private HubFolders() {}

  /** The golden folder: BertForPreTraining with Google's vocabulary layout and LayerNorm gamma/beta names. */
  public static Path hubBert() {
    try {
      return Path.of(HubFolders.class.getResource("/golden/hub_bert").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The golden folder saved as a checkpoint of the encoder alone, as sentence-embedding models are: BertModel's names
   * (no {@code bert.} prefix), the pooler kept, no {@code cls.*} heads; written into {@code dir}.
   */
  public static Path encoderOnly(Path dir) {
    try (PointerScope scope = new PointerScope()) {
      Files.createDirectories(dir);
      Map<String, Tensor> encoder = new LinkedHashMap<>();
      SafeTensors.read(hubBert().resolve("model.safetensors"), "cpu").forEach((name, t) -> {
        if (name.startsWith("bert.")) {
          encoder.put(name.substring("bert.".length()), t);
        }
      });
      SafeTensors.write(dir.resolve("model.safetensors"), encoder, Map.of("format", "pt"));
      Files.writeString(dir.resolve("config.json"),
          Files.readString(hubBert().resolve("config.json")).replace("BertForPreTraining", "BertModel"));
      for (String name : List.of("vocab.txt", "tokenizer_config.json")) {
        Files.copy(hubBert().resolve(name), dir.resolve(name));
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
