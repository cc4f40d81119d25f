package dev.jbert.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbert.data.PretrainingCorpus;
import dev.jbert.data.DataConfig;
import dev.jbert.data.DatasetStats;
import dev.jbert.data.PretrainingDataset;
import dev.jbert.data.Tokenizer;
import dev.jbert.train.Evaluator;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jbert data}: builds the pretraining examples of a corpus and prints their statistics. */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = "Build the pretraining examples of a corpus (WikiText-2 as d2l does, or your own text) and print"
        + " their statistics.")
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
    PretrainingCorpus corpus = data.openCorpus(spec.commandLine().getErr());
    PretrainingDataset dataset = corpus.buildTrain(config, corpus.tokenizer(config.tokenizer()), data.exampleCache());
    dataset.cache().ifPresent(use -> spec.commandLine().getErr().println(DataOptions.cacheLine(use)));
    // the validation split as pretrain evaluates it: the training vocabulary, the evaluation's seed
    Optional<DatasetStats> valid = corpus.buildValid(dataset.vocab(), config.withSeed(Evaluator.VALIDATION_SEED))
        .map(PretrainingDataset::stats);
    // reported time: from the archive to the examples, reading included
    DatasetStats stats = dataset.stats().withSeconds((System.nanoTime() - start) / 1e9);
    Map<String, Object> fields = jsonFields(corpus, stats, valid);
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(fields));
    } else {
      out.println("corpus            " + String.join(" ", corpus.spec().paths()));
      out.printf(Locale.ROOT, "max_len %d, max_preds %d, min_freq %d, seed %d, mask rate %s, split %s/%s/%s%s%s%n",
          config.maxLen(), config.maxPreds(), config.minFreq(), config.seed(), config.masking().rate(),
          config.masking().mask(), config.masking().keep(), config.masking().random(),
          config.masking().wholeWord() ? ", whole words" : "",
          config.tokenizer().kindEnum() == Tokenizer.Kind.WORDS ? "" : ", tokenizer " + config.tokenizer().kind());
      fields.forEach((k, v) -> out.printf(Locale.ROOT, "%-17s %s%s%n", k, text(v),
          k.equals("format") ? corpus.detection().map(d -> " (detected: " + d + ")").orElse("") : ""));
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

  /** The keys of {@code --json}, in order; the validation keys are 0 when the corpus has no validation text. */
  static Map<String, Object> jsonFields(PretrainingCorpus corpus, DatasetStats stats, Optional<DatasetStats> valid) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", corpus.format().cliName());
    m.put("documents", stats.documents());
    m.put("sentences", stats.sentences());
    m.put("tokens", stats.tokens());
    m.put("unknown_share", stats.unknownShare());
    m.put("examples", stats.examples());
    m.put("mean_valid_len", stats.meanValidLen());
    m.put("mean_mlm_preds", stats.meanMlmPreds());
    m.put("is_next_fraction", stats.isNextFraction());
    m.put("vocab_size", stats.vocabSize());
    m.put("vocab_head", stats.vocabHead());
    m.put("valid_documents", valid.map(DatasetStats::documents).orElse(0));
    m.put("valid_examples", valid.map(DatasetStats::examples).orElse(0));
    m.put("seconds", stats.seconds());
    return m;
  }
}
