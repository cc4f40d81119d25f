package dev.jbert.cli;

import dev.jbert.JbertException;
import dev.jbert.model.HfFormat;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jbert export RUN --format hf --out DIR}: a run folder as a Hugging Face BERT folder. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = "Writes a --arch bert run as a Hugging Face BertForPreTraining folder (config.json,"
        + " model.safetensors, vocab.txt, tokenizer_config.json, special_tokens_map.json, and a WordPiece run's"
        + " tokenizer.json) that"
        + " transformers' from_pretrained loads.")
public final class ExportCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN", description = "Run folder written by ./jbert pretrain --arch bert.")
  Path run;

  @Option(names = "--format", paramLabel = "NAME", defaultValue = "hf",
      description = "The format: hf (Hugging Face transformers) (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "The folder to write (created).")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if (!format.equals("hf")) {
      throw new JbertException("unknown --format '" + format + "'; use hf");
    }
    HfFormat.export(run, out);
    PrintWriter o = spec.commandLine().getOut();
    o.println("wrote " + out + " (BertForPreTraining: " + String.join(", ", HfFormat.files(out)) + ")");
    o.flush();
    return 0;
  }
}
