package dev.jbert.encode;

import java.util.List;

/**
 * The encoder output for one input (spec section 9): row 0 represents the whole input ({@code <cls>}), row i token i.
 * Arrays are shared, not copied: treat them as read-only.
 *
 * @param tokens {@code <cls> a <sep> [b <sep>]}, words as written (unknown words included, see {@code unknownPositions})
 * @param unknownPositions positions of words outside the vocabulary, encoded as {@code <unk>}
 * @param vectors (L, H)
 * @param truncatedTokens words dropped by truncation (0 unless truncation was asked for and needed)
 * @param pooled the {@code <cls>} row through the pooler (d2l's {@code hidden}: Linear + Tanh), as Hugging Face's
 *     {@code pooler_output}
 */
public record Encoding(
    List<String> tokens, List<Integer> unknownPositions, float[][] vectors, int truncatedTokens, float[] pooled) {

  /** L, the number of tokens. */
  public int length() {
    return vectors.length;
  }

  /** H, the hidden size. */
  public int hidden() {
    return vectors[0].length;
  }

  /** (1, L, H), the shape d2l prints. */
  public long[] shape() {
    return new long[] {1, length(), hidden()};
  }

  /** The representation of the whole input: the {@code <cls>} row. */
  public float[] cls() {
    return vectors[0];
  }

  /**
   * The mean of the token vectors, {@code <cls>} and {@code <sep>} included: the mean pooling of sentence-embedding
   * models (every position the attention mask lets through).
   */
  public float[] mean() {
    float[] mean = new float[hidden()];
    for (float[] row : vectors) {
      for (int j = 0; j < mean.length; j++) {
        mean[j] += row[j];
      }
    }
    for (int j = 0; j < mean.length; j++) {
      mean[j] /= vectors.length;
    }
    return mean;
  }

  /** The vector of token {@code i}. */
  public float[] vector(int i) {
    return vectors[i];
  }

  /** The words outside the vocabulary, in order. */
  public List<String> unknownWords() {
    return unknownPositions.stream().map(tokens::get).toList();
  }
}
