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
    Bert bert = Bert.load(dir, truncate, precision.resolve("cpu", err));
    noteNewHeads(err, dir);
    return bert;
  }

  /**
   * Says on stderr which parts of a Hugging Face model start from a new initialisation: a checkpoint of the encoder
   * alone (BertModel, as sentence-embedding models are saved) has no pretraining heads, so fill-mask and
   * next-sentence answers are untrained; encode's vectors are the model's.
   */
  static void noteNewHeads(PrintWriter err, Path dir) {
    java.util.List<String> missing = dev.jbert.model.ModelFiles.missingHeads(dir);
    if (!missing.isEmpty()) {
      java.util.List<String> parts = new java.util.ArrayList<>();
      for (String[] part : new String[][] {{"bert.pooler.", "pooler"}, {"cls.predictions.", "MLM head"},
          {"cls.seq_relationship.", "NSP head"}}) {
        if (missing.stream().anyMatch(n -> n.startsWith(part[0]))) {
          parts.add(part[1]);
        }
      }
      err.println("note: " + dir + " has no " + String.join(", ", parts) + " (a checkpoint of the encoder alone):"
          + " newly initialised, so their outputs are untrained; the encoder's vectors are the model's");
      err.flush();
    }
  }

  /** Says on stderr how many words truncation dropped, if any. */
  static void noteTruncation(PrintWriter err, int dropped) {
    if (dropped > 0) {
      err.println("note: truncated: dropped " + dropped + " tokens");
      err.flush();
    }
  }
}
