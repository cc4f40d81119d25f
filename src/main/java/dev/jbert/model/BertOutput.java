package dev.jbert.model;

import org.bytedeco.pytorch.Tensor;

/**
 * What {@link BertModel#forward} returns.
 *
 * @param encoded (B, T, H)
 * @param mlmLogitsOrNull (B, P, V), or null when no prediction positions were given
 * @param nspLogits (B, 2)
 */
public record BertOutput(Tensor encoded, Tensor mlmLogitsOrNull, Tensor nspLogits) {}
