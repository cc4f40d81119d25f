package dev.jbert.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.jbert.Json;
import dev.jbert.encode.Bert;
import dev.jbert.encode.MaskPrediction;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jbert fill-mask}: the MLM head's guesses for each {@code <mask>}. */
@Command(
    name = "fill-mask",
    mixinStandardHelpOptions = true,
    description = {"Predict the words at each mask of a text with the masked-language-model head: <mask> for a model"
        + " of d2l's words, [MASK] for a WordPiece model.",
        "The text output shows each predicted token as the whole word it makes there (a ## piece joined to the piece"
        + " before it, the piece in parentheses); --json lists the tokens."})
public final class FillMaskCommand implements Callable<Integer> {
  @Mixin ModelOption model;
  @Mixin Verbosity verbosity;

  @Parameters(paramLabel = "TEXT", description = "Text with one or more <mask> (or [MASK]) tokens.")
  String text;

  @Option(names = "--top", paramLabel = "N", description = "How many tokens to show per mask (default: ${DEFAULT-VALUE}).")
  int top = 5;

  @Option(names = "--json", description = "Print {\"masks\": [{\"position\", \"predictions\": [{\"token\", "
      + "\"probability\"}]}]}.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws JsonProcessingException {
    List<MaskPrediction> masks;
    String maskToken;
    try (Bert bert = model.load(spec.commandLine().getErr())) {
      masks = bert.fillMask(text, top);
      maskToken = bert.vocab().token(bert.vocab().specials().mask());
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.mapper().writeValueAsString(Map.of("masks", masks.stream().map(FillMaskCommand::jsonFields)
          .toList())));
    } else {
      for (MaskPrediction mask : masks) {
        out.println(maskToken + " at position " + mask.position() + ":");
        for (MaskPrediction.Prediction p : mask.predictions()) {
          out.printf(Locale.ROOT, "  %-20s %.6f%s%n", p.word(), p.probability(),
              p.word().equals(p.token()) ? "" : "  (" + p.token() + ")");
        }
      }
    }
    out.flush();
    return 0;
  }

  static Map<String, Object> jsonFields(MaskPrediction mask) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("position", mask.position());
    m.put("predictions", mask.predictions().stream()
        .map(p -> Map.of("token", p.token(), "probability", p.probability())).toList());
    return m;
  }
}
