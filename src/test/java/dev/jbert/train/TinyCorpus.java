package dev.jbert.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A small synthetic corpus in WikiText's layout (sentences joined by " . "), for fast training tests. */
final class TinyCorpus {
  private TinyCorpus() {}

  static List<String> lines(long seed, int count) {
    Random r = new Random(seed);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int sentences = 2 + r.nextInt(4);
      StringBuilder line = new StringBuilder(" ");
      for (int s = 0; s < sentences; s++) {
        int words = 3 + r.nextInt(6);
        for (int w = 0; w < words; w++) {
          // a skewed draw, so that some words are frequent and the vocabulary has a real order
          line.append('w').append((int) (40 * Math.pow(r.nextDouble(), 2))).append(' ');
        }
        line.append(". ");
      }
      lines.add(line.toString());
    }
    return lines;
  }
}
