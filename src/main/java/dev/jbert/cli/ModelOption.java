package dev.jbert.cli;

import dev.jbert.encode.Bert;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;

/** {@code --model DIR} and {@code --truncate}, shared by the commands that use a pretrained model. */
public final class ModelOption {
  @CommandLine.Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "Run folder written by ./jbert pretrain (config.json, vocab.txt, model.safetensors), or a Hugging"
          + " Face BERT folder (config.json, model.safetensors, vocab.txt or tokenizer.json): one written by ./jbert"
          + " export --format hf, or a published one such as bert-base-uncased, read with its own WordPiece"
          + " vocabulary.")
  Path dir;

  @CommandLine.Option(
      names = "--truncate",
      description = "Cut input longer than the model was trained for (its max_len) instead of refusing it.")
  boolean truncate;

  @CommandLine.Mixin PrecisionOption precision;

  Bert load(PrintWriter err) {
    return Bert.load(dir, truncate, precision.resolve("cpu", err));
  }

  /** Says on stderr how many words truncation dropped, if any. */
  static void noteTruncation(PrintWriter err, int dropped) {
    if (dropped > 0) {
      err.println("note: truncated: dropped " + dropped + " tokens");
      err.flush();
    }
  }
}
