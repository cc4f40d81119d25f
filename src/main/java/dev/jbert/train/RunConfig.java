package dev.jbert.train;

import dev.jbert.data.CorpusSpec;
import dev.jbert.data.DataConfig;
import dev.jbert.model.BertConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every setting of a run, written to the run folder's {@code config.json}: the model's architecture (read back by the
 * encoder and on --resume), the data settings, the training hyperparameters, the devices, the SHA-256 of the training
 * text (a resumed run must read the same data), the jbert version that wrote it, and what each resume changed.
 *
 * @param resumes one entry per {@code --resume}, oldest first (empty for a run never resumed)
 * @param corpus where the training text came from and how it was read, so that a resume reopens it without
 *     {@code --data}; null in a run folder written before it was recorded (WikiText-2 is then looked up)
 * @param init the model folder whose weights the run started from ({@code --init}, absolute); null: random weights
 */
public record RunConfig(
    BertConfig model, DataConfig data, TrainConfig train, List<String> devices, String dataSha256,
    String jbertVersion, List<Resume> resumes, CorpusSpec corpus, String init) {

  /**
   * One {@code --resume}: the step it continued from and the settings it changed, each as "old -> new".
   *
   * @param atStep steps done when the run was continued
   * @param changed setting name (as in this file) to "old -> new"; empty when nothing changed
   * @param jbertVersion the version that continued the run
   */
  public record Resume(int atStep, Map<String, String> changed, String jbertVersion) {
    public Resume {
      changed = changed == null ? Map.of() : Map.copyOf(changed);
    }
  }

  public RunConfig {
    resumes = resumes == null ? List.of() : List.copyOf(resumes);
    model.checkFits(data.maxLen());
  }

  public RunConfig(BertConfig model, DataConfig data, TrainConfig train, List<String> devices, String dataSha256,
      String jbertVersion) {
    this(model, data, train, devices, dataSha256, jbertVersion, List.of(), null, null);
  }

  /**
   * This config continued at {@code atStep} with other training settings, devices and corpus paths (the same text,
   * moved), the change recorded.
   */
  public RunConfig resumed(int atStep, TrainConfig newTrain, List<String> newDevices, CorpusSpec newCorpus,
      String version) {
    Map<String, String> changed = new java.util.TreeMap<>();
    note(changed, "steps", train.steps(), newTrain.steps());
    note(changed, "micro_batches", train.microBatches(), newTrain.microBatches());
    note(changed, "eval_every", train.evalEvery(), newTrain.evalEvery());
    note(changed, "skip_eval", train.skipEval(), newTrain.skipEval());
    note(changed, "checkpoint_every", train.checkpointEvery(), newTrain.checkpointEvery());
    note(changed, "devices", devices, newDevices);
    if (corpus != null && newCorpus != null) {
      note(changed, "data", String.join(" ", corpus.paths()), String.join(" ", newCorpus.paths()));
    }
    List<Resume> history = new ArrayList<>(resumes);
    history.add(new Resume(atStep, changed, version));
    return new RunConfig(model, data, newTrain, newDevices, dataSha256, jbertVersion, history,
        newCorpus != null ? newCorpus : corpus, init);
  }

  private static void note(Map<String, String> changed, String name, Object before, Object after) {
    if (!before.equals(after)) {
      changed.put(name, before + " -> " + after);
    }
  }
}
