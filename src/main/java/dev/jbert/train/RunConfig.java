package dev.jbert.train;

import dev.jbert.data.DataConfig;
import dev.jbert.model.BertConfig;
import java.util.List;

/**
 * Every setting of a run, written to the run folder's {@code config.json}: the model's architecture (read back by the
 * encoder and on --resume), the data settings, the training hyperparameters, the devices, the SHA-256 of the training
 * text (a resumed run must read the same data) and the jbert version that wrote it.
 */
public record RunConfig(
    BertConfig model, DataConfig data, TrainConfig train, List<String> devices, String dataSha256,
    String jbertVersion) {}
