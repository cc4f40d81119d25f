package dev.jbert.data;

import java.util.List;

/**
 * What a build of the pretraining examples produced; {@code ./jbert data --json} prints it.
 *
 * @param vocabSize tokens in the vocabulary, reserved ones included (20256 on WikiText-2's training split)
 * @param documents documents: WikiText's kept lines (d2l's paragraphs), the other formats' documents or paragraphs
 * @param sentences sentences of the documents
 * @param tokens words of the sentences
 * @param unknownShare share of {@code tokens} outside the vocabulary ({@code <unk>}, the corpus's own included)
 * @param examples sentence pairs left after the max_len drop
 * @param meanValidLen mean real length of an example
 * @param meanMlmPreds mean number of masked-LM predictions of an example
 * @param isNextFraction share of the kept examples whose b is the true next sentence (about 0.508, see spec section 4)
 * @param vocabHead the first 12 tokens of the vocabulary
 * @param seconds wall time of the build from lines to examples
 * @param corpusSha256 SHA-256 of the text as {@link PretrainingCorpus#trainSha256} takes it; of lines passed directly,
 *     of each line followed by {@code \n} (the file's SHA-256 when it uses {@code \n} line ends and ends with one, as
 *     WikiText does)
 */
public record DatasetStats(
    int vocabSize, int documents, int sentences, long tokens, double unknownShare, int examples, double meanValidLen,
    double meanMlmPreds, double isNextFraction, List<String> vocabHead, double seconds, String corpusSha256) {

  public DatasetStats {
    vocabHead = List.copyOf(vocabHead);
  }

  /** The same statistics with another wall time (the CLI reports the time from the archive on). */
  public DatasetStats withSeconds(double newSeconds) {
    return new DatasetStats(vocabSize, documents, sentences, tokens, unknownShare, examples, meanValidLen,
        meanMlmPreds, isNextFraction, vocabHead, newSeconds, corpusSha256);
  }
}
