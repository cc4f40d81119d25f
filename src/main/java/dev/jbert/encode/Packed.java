package dev.jbert.encode;

import dev.jbert.JbertException;
import dev.jbert.data.Vocab;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link Input} as the model sees it (spec section 9, d2l's {@code get_tokens_and_segments}): {@code <cls> a <sep>
 * [b <sep>]} with segment 0 for {@code <cls> a <sep>} and 1 for {@code b <sep>}; valid length = the sequence length.
 *
 * @param tokens the tokens, words as written (an unknown word stays itself here; its id is {@code <unk>})
 * @param ids the token ids
 * @param segments 0 or 1 per token
 * @param unknownPositions positions whose word is not in the vocabulary
 * @param truncatedTokens how many words truncation dropped (0 without truncation)
 */
record Packed(List<String> tokens, long[] ids, long[] segments, List<Integer> unknownPositions, int truncatedTokens) {

  int length() {
    return ids.length;
  }

  /**
   * Packs {@code input} for a model with {@code maxLen} positions. A sequence longer than that is an error, unless
   * {@code truncate}: then the longer segment loses its last word until the sequence fits (BERT's {@code
   * truncate_seq_pair}).
   */
  static Packed of(Input input, Vocab vocab, int maxLen, boolean truncate) {
    List<String> a = new ArrayList<>(input.a());
    List<String> b = input.isPair() ? new ArrayList<>(input.b()) : new ArrayList<>();
    int special = input.isPair() ? 3 : 2;
    int length = a.size() + b.size() + special;
    int dropped = 0;
    if (length > maxLen) {
      if (!truncate) {
        throw new JbertException("the input has " + length + " tokens with <cls> and <sep>, more than the " + maxLen
            + " the model was trained for; shorten it or truncate it (--truncate)");
      }
      if (maxLen < special + (input.isPair() ? 2 : 1)) {
        throw new JbertException("the model has only " + maxLen + " positions, too few for this input");
      }
      while (a.size() + b.size() + special > maxLen) {
        List<String> longer = a.size() >= b.size() ? a : b;
        longer.remove(longer.size() - 1);
        dropped++;
      }
    }
    List<String> tokens = new ArrayList<>(a.size() + b.size() + special);
    List<Integer> segments = new ArrayList<>();
    tokens.add("<cls>");
    tokens.addAll(a);
    tokens.add("<sep>");
    while (segments.size() < tokens.size()) {
      segments.add(0);
    }
    if (input.isPair()) {
      tokens.addAll(b);
      tokens.add("<sep>");
      while (segments.size() < tokens.size()) {
        segments.add(1);
      }
    }
    long[] ids = new long[tokens.size()];
    long[] seg = new long[tokens.size()];
    List<Integer> unknown = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      String token = tokens.get(i);
      ids[i] = vocab.id(token);
      seg[i] = segments.get(i);
      if (ids[i] == Vocab.UNK && !token.equals(Vocab.RESERVED.get(Vocab.UNK))) {
        unknown.add(i);
      }
    }
    return new Packed(List.copyOf(tokens), ids, seg, List.copyOf(unknown), dropped);
  }
}
