package dev.jbert.encode;

import dev.jbert.JbertException;
import dev.jbert.data.SentencePair;
import dev.jbert.data.SpecialIds;
import dev.jbert.data.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An {@link Input} as the model sees it (spec section 9, d2l's {@code get_tokens_and_segments}): {@code <cls> a <sep>
 * [b <sep>]} with segment 0 for {@code <cls> a <sep>} and 1 for {@code b <sep>}, laid out by {@link SentencePair} as
 * the pretraining examples are; valid length = the sequence length.
 *
 * @param tokens the tokens (d2l's words or WordPiece pieces) with the tokenizer's special tokens; a word outside a
 *     words vocabulary stays itself here, its id is the unknown token's
 * @param ids the token ids
 * @param segments 0 or 1 per token
 * @param unknownPositions positions whose token is not in the vocabulary (and not the unknown token itself)
 * @param truncatedTokens how many tokens truncation dropped (0 without truncation)
 */
record Packed(List<String> tokens, long[] ids, long[] segments, List<Integer> unknownPositions, int truncatedTokens) {

  int length() {
    return ids.length;
  }

  /**
   * Packs {@code input}, tokenized by {@code tokenizer}, for a model with {@code maxLen} positions. A sequence longer
   * than that is an error, unless {@code truncate}: then the longer segment loses its last token until the sequence
   * fits (BERT's {@code truncate_seq_pair}).
   */
  static Packed of(Input input, Tokenizer tokenizer, int maxLen, boolean truncate) {
    List<String> a = new ArrayList<>(input.a().tokens(tokenizer));
    List<String> b = input.isPair() ? new ArrayList<>(input.b().tokens(tokenizer)) : null;
    int length = SentencePair.length(a.size(), b == null ? -1 : b.size());
    int special = length - a.size() - (b == null ? 0 : b.size());
    int dropped = 0;
    if (length > maxLen) {
      if (!truncate) {
        throw new JbertException("the input has " + length + " tokens with " + tokenizer.token(
            tokenizer.specials().cls()) + " and " + tokenizer.token(tokenizer.specials().sep()) + ", more than the "
            + maxLen + " the model was trained for; shorten it or truncate it (--truncate)");
      }
      if (maxLen < special + (input.isPair() ? 2 : 1)) {
        throw new JbertException("the model has only " + maxLen + " positions, too few for this input");
      }
      while (a.size() + (b == null ? 0 : b.size()) + special > maxLen) {
        List<String> longer = b == null || a.size() >= b.size() ? a : b;
        longer.remove(longer.size() - 1);
        dropped++;
      }
      length = SentencePair.length(a.size(), b == null ? -1 : b.size());
    }
    SpecialIds specials = tokenizer.specials();
    int[] ids = SentencePair.ids(ids(a, tokenizer), b == null ? null : ids(b, tokenizer), specials, length);
    int[] segments = SentencePair.segments(a.size(), b == null ? -1 : b.size(), length);
    String[] tokens = new String[length];
    for (int i = 0; i < length; i++) {
      tokens[i] = tokenizer.token(ids[i]); // the special tokens; the text's tokens are put as written below
    }
    for (int k = 0; k < a.size(); k++) {
      tokens[SentencePair.A_START + k] = a.get(k);
    }
    for (int k = 0; b != null && k < b.size(); k++) {
      tokens[SentencePair.bStart(a.size()) + k] = b.get(k);
    }
    String unk = tokenizer.token(specials.unk());
    List<Integer> unknown = new ArrayList<>();
    for (int i = 0; i < length; i++) {
      if (ids[i] == specials.unk() && !tokens[i].equals(unk)) {
        unknown.add(i);
      }
    }
    return new Packed(List.of(tokens), Arrays.stream(ids).asLongStream().toArray(),
        Arrays.stream(segments).asLongStream().toArray(), List.copyOf(unknown), dropped);
  }

  private static int[] ids(List<String> tokens, Tokenizer tokenizer) {
    int[] ids = new int[tokens.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = tokenizer.id(tokens.get(i));
    }
    return ids;
  }
}
