package dev.jbert.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbert.data.Corpus;
import dev.jbert.data.DataConfig;
import dev.jbert.data.DatasetStats;
import dev.jbert.data.PretrainingDataset;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jbert data}: builds the pretraining examples from WikiText-2 and prints their statistics. */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = "Build the pretraining examples from WikiText-2 (as d2l does) and print their statistics.")
public final class DataCommand implements Callable<Integer> {
  private static final int DEBUG_EXAMPLES = 3;

  @Mixin DataOptions data;
  @Mixin Verbosity verbosity;

  @Option(names = "--json", description = "Print one JSON object instead of the table.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws JsonProcessingException {
    PrintWriter out = spec.commandLine().getOut();
    DataConfig config = data.config();
    long start = System.nanoTime();
    Corpus corpus = data.openCorpus(spec.commandLine().getErr());
    PretrainingDataset dataset = PretrainingDataset.build(corpus, config);
    // reported time: from the archive to the examples, reading included
    DatasetStats stats = dataset.stats().withSeconds((System.nanoTime() - start) / 1e9);
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(jsonFields(stats)));
    } else {
      out.println("corpus            " + corpus.source());
      out.printf(Locale.ROOT, "max_len %d, max_preds %d, min_freq %d, seed %d%n",
          config.maxLen(), config.maxPreds(), config.minFreq(), config.seed());
      jsonFields(stats).forEach((k, v) -> out.printf(Locale.ROOT, "%-17s %s%n", k, text(v)));
      if (verbosity.verbose) {
        for (int i = 0; i < Math.min(DEBUG_EXAMPLES, dataset.examples().size()); i++) {
          out.println("example " + i + ":\n" + dataset.examples().get(i).toDebugString(dataset.vocab()));
        }
      }
    }
    out.flush();
    return 0;
  }

  private static String text(Object value) {
    if (value instanceof Double d) {
      return String.format(Locale.ROOT, "%.4f", d);
    }
    if (value instanceof List<?> list) {
      return list.stream().map(String::valueOf).collect(Collectors.joining(" "));
    }
    return String.valueOf(value);
  }

  /** The keys of {@code --json}, in order. */
  static Map<String, Object> jsonFields(DatasetStats stats) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("vocab_size", stats.vocabSize());
    m.put("paragraphs", stats.paragraphs());
    m.put("sentences", stats.sentences());
    m.put("examples", stats.examples());
    m.put("mean_valid_len", stats.meanValidLen());
    m.put("mean_mlm_preds", stats.meanMlmPreds());
    m.put("is_next_fraction", stats.isNextFraction());
    m.put("vocab_head", stats.vocabHead());
    m.put("seconds", stats.seconds());
    return m;
  }
}
