package dev.jbert.data.wordpiece;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face's tokenizer (the Rust library inside DJL's ai.djl.huggingface:tokenizers jar; its native library is
 * extracted from the jar, nothing is downloaded) on a tokenizer.json: the test oracle. No special tokens added, no
 * padding, no truncation.
 */
final class HfOracle implements AutoCloseable {
  private static final int BATCH = 4096;
  private final HuggingFaceTokenizer tokenizer;

  private HfOracle(HuggingFaceTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** Loads a tokenizer.json (or a folder holding one). */
  static HfOracle load(Path tokenizerJson) throws IOException {
    return new HfOracle(HuggingFaceTokenizer.newInstance(tokenizerJson,
        Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false")));
  }

  /** The ids of each text, batched (the Rust side encodes a batch on all cores). */
  List<int[]> ids(List<String> texts) {
    List<int[]> out = new ArrayList<>(texts.size());
    for (int from = 0; from < texts.size(); from += BATCH) {
      List<String> batch = texts.subList(from, Math.min(texts.size(), from + BATCH));
      for (Encoding e : tokenizer.batchEncode(batch)) {
        out.add(ints(e.getIds()));
      }
    }
    return out;
  }

  int[] ids(String text) {
    return ints(tokenizer.encode(text).getIds());
  }

  /** The tokens of one text. */
  String[] tokens(String text) {
    return tokenizer.encode(text).getTokens();
  }

  /** [CLS] a [SEP] b [SEP] by the post-processor of the tokenizer.json: ids and type ids. */
  Encoding encodePair(String a, String b) {
    return tokenizer.encode(a, b, true, false);
  }

  Encoding encodeWithSpecials(String a) {
    return tokenizer.encode(a, true, false);
  }

  String decode(int[] ids) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longs[i] = ids[i];
    }
    return tokenizer.decode(longs, false);
  }

  private static int[] ints(long[] ids) {
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
