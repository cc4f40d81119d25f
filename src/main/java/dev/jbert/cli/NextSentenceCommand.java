package dev.jbert.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.jbert.Json;
import dev.jbert.encode.Bert;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jbert next-sentence}: the NSP head's probability that the second sentence follows the first. */
@Command(
    name = "next-sentence",
    mixinStandardHelpOptions = true,
    description = "Probability that sentence B follows sentence A, from the next-sentence-prediction head.")
public final class NextSentenceCommand implements Callable<Integer> {
  @Mixin ModelOption model;
  @Mixin Verbosity verbosity;

  @Parameters(index = "0", paramLabel = "A", description = "The first sentence.")
  String a;

  @Parameters(index = "1", paramLabel = "B", description = "The sentence that may follow it.")
  String b;

  @Option(names = "--json", description = "Print {\"is_next_probability\": p}.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws JsonProcessingException {
    double p;
    try (Bert bert = model.load(spec.commandLine().getErr())) {
      p = bert.nextSentence(a, b);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.mapper().writeValueAsString(Map.of("is_next_probability", p)));
    } else {
      out.printf(Locale.ROOT, "probability that B follows A: %.6f%n", p);
    }
    out.flush();
    return 0;
  }
}
