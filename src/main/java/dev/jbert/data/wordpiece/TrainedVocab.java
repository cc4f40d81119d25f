package dev.jbert.data.wordpiece;

/**
 * What {@link WordPieceTrainer#train} made.
 *
 * @param vocab the vocabulary: special tokens at 0-4, then the alphabet, the ## alphabet and the merged pieces
 * @param lowercase whether it is uncased (the text lower-cased and stripped of accents before counting)
 * @param requestedSize the size asked for
 * @param alphabet distinct characters of the corpus, each a token
 * @param continuationAlphabet distinct characters seen inside a word, each also a {@code ##} token
 * @param merges merges applied (a merge that rebuilds an existing token adds none)
 * @param words words counted in the corpus
 * @param distinctWords distinct words
 */
public record TrainedVocab(
    WordPieceVocab vocab,
    boolean lowercase,
    int requestedSize,
    int alphabet,
    int continuationAlphabet,
    int merges,
    long words,
    int distinctWords) {

  /** Whether the vocabulary has the size asked for; false when no pair occurs often enough to merge further. */
  public boolean complete() {
    return vocab.size() == requestedSize;
  }

  /** The tokenizer of this vocabulary, with its casing. */
  public WordPieceTokenizer tokenizer() {
    return new WordPieceTokenizer(vocab, lowercase);
  }
}
