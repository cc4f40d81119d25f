package dev.jbert.encode;

import dev.jbert.data.DataConfig;
import dev.jbert.data.Paragraphs;
import dev.jbert.data.ReferenceVocab;
import dev.jbert.data.Vocab;
import dev.jbert.model.BertConfig;
import dev.jbert.model.BertModel;
import dev.jbert.model.ModelFiles;
import dev.jbert.model.SafeTensors;
import dev.jbert.train.RunConfig;
import dev.jbert.train.RunFolder;
import dev.jbert.train.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Model folders for the encode tests: d2l's architecture (H 128) with random weights and a tiny vocabulary. */
public final class TinyModel {
  /** The corpus of the vocabulary: spec section 9's sentences and a few more. */
  public static final List<String> SENTENCES = List.of(
      "a crane is flying", "a crane driver came", "he just left", "the game was released in 2010",
      "the game was a success", "he came back in 2011");

  private TinyModel() {}

  public static Vocab vocab() {
    return ReferenceVocab.build(List.of(SENTENCES.stream().map(Paragraphs::tokenize).toList()), 1);
  }

  /** A d2l-config model whose vocab_size is the vocabulary's size plus {@code extraModelTokens}, saved in {@code dir}. */
  public static Path write(Path dir, int extraModelTokens, long seed) {
    Vocab vocab = vocab();
    try (BertModel model = BertModel.create(BertConfig.d2l(vocab.size() + extraModelTokens), ScalarType.Float, "cpu",
        seed)) {
      ModelFiles.save(model, dir);
    }
    vocab.save(dir.resolve(Bert.VOCAB));
    return dir;
  }

  /**
   * A run folder as {@code ./jbert pretrain} writes it (config.json with the data settings, model.safetensors,
   * vocab.txt), with a model trained, as far as its config says, on pairs of at most {@code maxLen} tokens.
   */
  public static Path writeRun(Path dir, int maxLen) {
    Vocab vocab = vocab();
    BertConfig config = BertConfig.d2l(vocab.size());
    try (BertModel model = BertModel.create(config, ScalarType.Float, "cpu", 7)) {
      RunFolder run = new RunFolder(dir);
      run.writeConfig(new RunConfig(config, new DataConfig(maxLen, 1, 0), TrainConfig.reference(), List.of("cpu"),
          "sha", "test"));
      SafeTensors.write(run.file(RunFolder.MODEL), model.parameters(), java.util.Map.of("format", "pt"));
    }
    vocab.save(dir.resolve(RunFolder.VOCAB));
    return dir;
  }

  /** A matching model folder. */
  public static Path write(Path dir) {
    return write(dir, 0, 7);
  }
}
