package dev.jbert.cli;

import java.nio.file.Path;
import picocli.CommandLine;

/** {@code --model DIR}, shared by the commands that use a pretrained model. */
public final class ModelOption {
  @CommandLine.Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "Run folder written by ./jbert pretrain (config.json, vocab.txt, model.safetensors).")
  Path dir;
}
