package dev.jbert.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.jbert.JbertException;
import dev.jbert.Json;
import dev.jbert.encode.Bert;
import dev.jbert.encode.Encoding;
import dev.jbert.encode.Input;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jbert encode}: BERT representations of a text or a pair (spec section 9). */
@Command(
    name = "encode",
    mixinStandardHelpOptions = true,
    description = "Encode a text (or a pair) with a pretrained model: <cls> a <sep> [b <sep>] -> (1, L, H).")
public final class EncodeCommand implements Callable<Integer> {
  /** How many values of each vector the table shows, as d2l prints {@code encoded_text[:, i, :3]}. */
  static final int SHOWN_VALUES = 3;

  @Mixin ModelOption model;
  @Mixin Verbosity verbosity;

  @Parameters(paramLabel = "TEXT", description = "The text to encode, split by the model's tokenizer (d2l's words:"
      + " lower-cased and split on white space; WordPiece: BERT's ## pieces).")
  String text;

  @Option(names = "--pair", paramLabel = "TEXT", description = "A second text, encoded as segment 1.")
  String pair;

  @Option(names = "--json", description = "Print {\"tokens\", \"shape\", \"encoding\", \"unknown\"} with full vectors;"
      + " tokens are the words or WordPiece pieces the tokenizer produced, with its special tokens.")
  boolean json;

  @Option(names = "--pool", paramLabel = "MODE", description = "Also print one vector for the whole input: cls (the"
      + " <cls> row), mean (the mean of all rows) or pooler (<cls> through the pooler, Linear + Tanh, as Hugging"
      + " Face's pooler_output).")
  Pool pool;

  @Option(names = "--pooled", description = "The same as --pool pooler.")
  boolean pooled;

  /** One vector for the whole input. */
  enum Pool {
    cls,
    mean,
    pooler;

    float[] of(Encoding e) {
      return switch (this) {
        case cls -> e.cls();
        case mean -> e.mean();
        case pooler -> e.pooled();
      };
    }
  }

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws JsonProcessingException {
    PrintWriter out = spec.commandLine().getOut();
    Input input = pair == null ? Input.text(text) : Input.pair(text, pair);
    Encoding e;
    try (Bert bert = model.load(spec.commandLine().getErr())) {
      e = bert.encode(input);
    }
    ModelOption.noteTruncation(spec.commandLine().getErr(), e.truncatedTokens());
    if (pooled && pool != null && pool != Pool.pooler) {
      throw new JbertException("--pooled means --pool pooler: pass one of them");
    }
    Pool mode = pooled ? Pool.pooler : pool;
    if (json) {
      Map<String, Object> fields = jsonFields(e);
      if (mode != null) {
        fields.put("pool", Map.of("mode", mode.name(), "vector", mode.of(e)));
      }
      out.println(Json.mapper().writeValueAsString(fields));
    } else {
      out.println("tokens: " + String.join(" ", e.tokens()));
      out.println("shape: (" + e.shape()[0] + ", " + e.shape()[1] + ", " + e.shape()[2] + ")");
      if (!e.unknownPositions().isEmpty()) {
        out.println("not in the vocabulary (encoded as <unk>): " + String.join(" ", e.unknownWords()));
      }
      if (mode != null) {
        out.println("pool " + mode + ": " + head(mode.of(e)));
      }
      int width = e.tokens().stream().mapToInt(String::length).max().orElse(5);
      for (int i = 0; i < e.length(); i++) {
        out.printf(Locale.ROOT, "%3d %-" + width + "s %s%n", i, e.tokens().get(i), head(e.vector(i)));
      }
    }
    out.flush();
    return 0;
  }

  /** The {@code --json} object: tokens, shape, encoding (L rows of H values), unknown (words not in the vocabulary). */
  static Map<String, Object> jsonFields(Encoding e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tokens", e.tokens());
    m.put("shape", e.shape());
    m.put("encoding", e.vectors());
    m.put("unknown", e.unknownWords());
    return m;
  }

  private static String head(float[] v) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < Math.min(SHOWN_VALUES, v.length); i++) {
      s.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%8.4f", v[i]));
    }
    return s.append(v.length > SHOWN_VALUES ? ", ...]" : "]").toString();
  }
}
