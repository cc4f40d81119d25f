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

/** {@code jbert similarity}: how much a word's vector changes between two contexts. */
@Command(
    name = "similarity",
    mixinStandardHelpOptions = true,
    description = "Cosine similarity of a word's vectors in two contexts (BERT is context sensitive).")
public final class SimilarityCommand implements Callable<Integer> {
  @Mixin ModelOption model;
  @Mixin Verbosity verbosity;

  @Option(names = "--word", required = true, description = "The word to compare (its first occurrence in each context)."
      + " With a WordPiece model a word of several pieces is compared by the mean of its pieces' vectors.")
  String word;

  @Parameters(index = "0", paramLabel = "CONTEXT_A", description = "The first context.")
  String contextA;

  @Parameters(index = "1", paramLabel = "CONTEXT_B", description = "The second context.")
  String contextB;

  @Option(names = "--json", description = "Print {\"word\": w, \"cosine_similarity\": c}.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws JsonProcessingException {
    double cosine;
    try (Bert bert = model.load(spec.commandLine().getErr())) {
      cosine = bert.similarity(word, contextA, contextB);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.mapper().writeValueAsString(Map.of("word", word, "cosine_similarity", cosine)));
    } else {
      out.printf(Locale.ROOT, "cosine similarity of '%s': %.6f%n", word, cosine);
    }
    out.flush();
    return 0;
  }
}
