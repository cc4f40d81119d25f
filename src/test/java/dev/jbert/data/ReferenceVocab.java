package dev.jbert.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Spec section 3 over strings, the way d2l's {@code Vocab} counts: the oracle that {@link Vocab#fromCounts} (token
 * numbers, the build's path) is checked against.
 */
public final class ReferenceVocab {
  private ReferenceVocab() {}

  /** The vocabulary of every token of every sentence of {@code paragraphs} (paragraph, sentence, token). */
  public static Vocab build(List<List<List<String>>> paragraphs, int minFreq) {
    // Count in contiguous chunks on all cores; a chunk's first occurrences all precede the next chunk's,
    // so (chunk, index in chunk) orders first occurrences as one sequential pass would.
    int chunks = Math.max(1, Math.min(paragraphs.size(), 4 * Runtime.getRuntime().availableProcessors()));
    List<Map<String, Count>> partial = IntStream.range(0, chunks).parallel()
        .mapToObj(c -> count(paragraphs.subList(
            (int) ((long) paragraphs.size() * c / chunks), (int) ((long) paragraphs.size() * (c + 1) / chunks)),
            (long) c << 40))
        .toList();
    Map<String, Count> total = new HashMap<>(partial.get(0).size() * 2);
    for (Map<String, Count> counts : partial) {
      counts.forEach((token, count) -> total.merge(token, count, (a, b) -> {
        a.n += b.n;
        return a; // a came from an earlier chunk: its first occurrence is the earlier one
      }));
    }
    List<Map.Entry<String, Count>> frequent = new ArrayList<>();
    for (Map.Entry<String, Count> e : total.entrySet()) {
      if (e.getValue().n >= minFreq) {
        frequent.add(e);
      }
    }
    frequent.sort(Comparator.<Map.Entry<String, Count>>comparingInt(e -> -e.getValue().n)
        .thenComparingLong(e -> e.getValue().first));
    List<String> order = new ArrayList<>(Vocab.RESERVED);
    for (Map.Entry<String, Count> e : frequent) {
      if (!Vocab.RESERVED.contains(e.getKey())) { // "<unk>" in the corpus is the unknown token, not a new one
        order.add(e.getKey());
      }
    }
    return Vocab.of(order);
  }

  private static final class Count {
    int n;
    final long first;

    Count(long first) {
      this.first = first;
    }
  }

  private static Map<String, Count> count(List<List<List<String>>> paragraphs, long firstIndex) {
    Map<String, Count> counts = new HashMap<>(1 << 16);
    long index = firstIndex;
    for (List<List<String>> paragraph : paragraphs) {
      for (List<String> sentence : paragraph) {
        for (String token : sentence) {
          Count c = counts.get(token);
          if (c == null) {
            c = new Count(index);
            counts.put(token, c);
          }
          c.n++;
          index++;
        }
      }
    }
    return counts;
  }
}
