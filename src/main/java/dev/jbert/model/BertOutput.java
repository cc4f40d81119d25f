package dev.jbert.model;

import ai.djl.ndarray.NDArray;

/**
 * What {@link BertModel#forward} returns.
 *
 * @param encoded (B, T, H)
 * @param mlmLogitsOrNull (B, P, V), or null when no prediction positions were given
 * @param nspLogits (B, 2)
 */
public record BertOutput(NDArray encoded, NDArray mlmLogitsOrNull, NDArray nspLogits) {}
