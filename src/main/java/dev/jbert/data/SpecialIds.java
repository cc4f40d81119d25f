package dev.jbert.data;

import java.util.Arrays;

/**
 * Where a vocabulary keeps its special tokens. d2l's words have {@code <unk>}=0 {@code <pad>}=1 {@code <mask>}=2
 * {@code <cls>}=3 {@code <sep>}=4 (spec section 3); a {@code jbert vocab} WordPiece vocabulary {@code [PAD]}=0
 * {@code [UNK]}=1 {@code [CLS]}=2 {@code [SEP]}=3 {@code [MASK]}=4; Google's and Hugging Face's BERT vocabularies
 * {@code [PAD]}=0 {@code [UNK]}=100 {@code [CLS]}=101 {@code [SEP]}=102 {@code [MASK]}=103. Everything that builds or
 * reads examples takes the ids from here, never from constants.
 */
public record SpecialIds(int pad, int unk, int cls, int sep, int mask) {
  /** The five ids, ascending, each once. */
  public int[] sorted() {
    return Arrays.stream(new int[] {pad, unk, cls, sep, mask}).sorted().distinct().toArray();
  }

  /** Whether {@code id} is one of the five. */
  public boolean contains(int id) {
    return id == pad || id == unk || id == cls || id == sep || id == mask;
  }
}
