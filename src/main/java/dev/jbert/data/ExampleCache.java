package dev.jbert.data;

import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Built examples kept on disk ({@code $JBERT_HOME/cache/examples}), one file per key: the corpus's SHA-256 and every
 * setting that changes the examples. The file holds the {@link ExampleRecords} and their index, then a footer (the key, the
 * statistics, the draw counts, the vocabulary built, a CRC-32C of the records), then the footer's length and a magic
 * number. It is written under a temporary name and renamed, so a file with the name is whole; one that is truncated,
 * corrupt or of another key is rebuilt. The records are memory-mapped, so the heap holds none of them.
 */
public final class ExampleCache {
  private static final Logger LOG = LoggerFactory.getLogger(ExampleCache.class);
  private static final byte[] MAGIC = "JBERTEX1".getBytes(StandardCharsets.US_ASCII);
  private static final int TRAILER = Long.BYTES + MAGIC.length;
  /** Changes whenever the records or the build's draws change, so that older files are not read. */
  static final int VERSION = 2;

  private final Path dir;

  public ExampleCache(Path dir) {
    this.dir = dir;
  }

  /** {@code $JBERT_HOME/cache/examples}, JBERT_HOME defaulting to {@code ~/.jbert}. */
  public static ExampleCache inJbertHome(Map<String, String> env) {
    return new ExampleCache(CorpusLocator.jbertHome(env).resolve("cache").resolve("examples"));
  }

  public Path dir() {
    return dir;
  }

  /**
   * Where the examples of a dataset came from.
   *
   * @param file the cache file
   * @param reused whether it was there already (else it was just built)
   */
  public record Use(Path file, boolean reused) {}

  /** Builds the examples: the tokens to {@code tokensFile}, the records to {@code records}. */
  @FunctionalInterface
  interface Build {
    PretrainingDataset.Built build(Path tokensFile, Ints.Writer records);
  }

  /**
   * The footer: plain data written field by field ({@link DataOutputStream}), as a JSON library's first use costs
   * a fifth of a second, more than the rest of a small corpus's cache.
   *
   * @param ints the ints of the records and their index
   * @param vocab the vocabulary the build made (d2l's words), null when a tokenizer was given
   */
  record Footer(int version, String key, int maxLen, int maxPreds, long ints, long crc32c, DatasetStats stats,
      PretrainingDataset.DrawCounts draws, List<String> vocab) {
    byte[] bytes() throws IOException {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(buffer);
      out.writeInt(version);
      writeString(out, key);
      out.writeInt(maxLen);
      out.writeInt(maxPreds);
      out.writeLong(ints);
      out.writeLong(crc32c);
      out.writeInt(stats.vocabSize());
      out.writeInt(stats.documents());
      out.writeInt(stats.sentences());
      out.writeLong(stats.tokens());
      out.writeDouble(stats.unknownShare());
      out.writeInt(stats.examples());
      out.writeDouble(stats.meanValidLen());
      out.writeDouble(stats.meanMlmPreds());
      out.writeDouble(stats.isNextFraction());
      writeStrings(out, stats.vocabHead());
      out.writeDouble(stats.seconds());
      writeString(out, stats.corpusSha256());
      for (long n : new long[] {draws.pairsDrawn(), draws.isNextDrawn(), draws.masked(), draws.kept(),
          draws.randomized()}) {
        out.writeLong(n);
      }
      out.writeBoolean(vocab != null);
      if (vocab != null) {
        writeStrings(out, vocab);
      }
      return buffer.toByteArray();
    }

    static Footer read(byte[] bytes) throws IOException {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
      int version = in.readInt();
      if (version != VERSION) {
        throw new IOException("written by another version");
      }
      String key = readString(in);
      int maxLen = in.readInt();
      int maxPreds = in.readInt();
      long ints = in.readLong();
      long crc = in.readLong();
      DatasetStats stats = new DatasetStats(in.readInt(), in.readInt(), in.readInt(), in.readLong(), in.readDouble(),
          in.readInt(), in.readDouble(), in.readDouble(), in.readDouble(), readStrings(in), in.readDouble(),
          readString(in));
      PretrainingDataset.DrawCounts draws = new PretrainingDataset.DrawCounts(in.readLong(), in.readLong(),
          in.readLong(), in.readLong(), in.readLong());
      List<String> vocab = in.readBoolean() ? readStrings(in) : null;
      if (in.available() != 0) {
        throw new IOException("the footer has bytes after its end");
      }
      return new Footer(version, key, maxLen, maxPreds, ints, crc, stats, draws, vocab);
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      out.writeInt(b.length);
      out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
      int n = in.readInt();
      if (n < 0 || n > in.available()) {
        throw new IOException("a string runs past the footer");
      }
      return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    private static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
      out.writeInt(strings.size());
      for (String s : strings) {
        writeString(out, s);
      }
    }

    private static List<String> readStrings(DataInputStream in) throws IOException {
      int n = in.readInt();
      if (n < 0 || n > in.available()) {
        throw new IOException("a list runs past the footer");
      }
      List<String> strings = new java.util.ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        strings.add(readString(in));
      }
      return strings;
    }
  }

  /** The file of {@code key}. */
  Path file(String key) {
    return dir.resolve(sha256(key).substring(0, 32) + ".examples");
  }

  /**
   * The examples of {@code key}: read from the cache file when it is there and whole, else built by {@code build}
   * and written to it.
   *
   * @param tokenizer the tokenizer the build is given; null when it builds d2l's vocabulary (then read from the file)
   */
  PretrainingDataset dataset(String key, DataConfig config, Tokenizer tokenizer, Build build) {
    Path file = file(key);
    if (Files.isRegularFile(file)) {
      try {
        return read(file, key, config, tokenizer);
      } catch (IOException | RuntimeException e) {
        LOG.warn("the cached examples {} are unusable ({}): rebuilding them", file, e.getMessage());
      }
    }
    return write(file, key, config, build);
  }

  private PretrainingDataset write(Path file, String key, DataConfig config, Build build) {
    Path tmp = null;
    Path tokens = null;
    try {
      tmp = AtomicFiles.newTemporary(file);
      tokens = AtomicFiles.newTemporary(dir.resolve(file.getFileName() + ".tokens"));
      PretrainingDataset.Built built;
      long ints;
      try (Ints.ToFile out = Ints.Writer.toFile(tmp)) {
        built = build.build(tokens, out);
        ints = out.size();
        long crc = out.crc32c();
        Footer footer = new Footer(VERSION, key, config.maxLen(), config.maxPreds(), ints, crc, built.stats(),
            built.draws(), built.fromText() ? built.vocab().tokens() : null);
        byte[] footerBytes = footer.bytes();
        out.putBytes(footerBytes);
        ByteBuffer trailer = ByteBuffer.allocate(TRAILER).order(ByteOrder.LITTLE_ENDIAN);
        trailer.putLong(footerBytes.length).put(MAGIC);
        out.putBytes(trailer.array());
      }
      AtomicFiles.moveIntoPlace(tmp, file);
      return PretrainingDataset.of(config, built, Ints.map(file, ints), new Use(file, false));
    } catch (IOException e) {
      throw new JbertException("cannot write the example cache " + file + ": " + e.getMessage()
          + " (check that the folder is writable and the disk has room, or pass --cache none)", e);
    } finally {
      AtomicFiles.deleteQuietly(tmp);
      AtomicFiles.deleteQuietly(tokens); // still mapped by the dataset where the OS allows it
    }
  }

  private static PretrainingDataset read(Path file, String key, DataConfig config, Tokenizer tokenizer)
      throws IOException {
    Footer footer;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size < TRAILER) {
        throw new IOException("too short");
      }
      ByteBuffer trailer = ByteBuffer.allocate(TRAILER).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(trailer, size - TRAILER);
      trailer.flip();
      long footerLength = trailer.getLong();
      byte[] magic = new byte[MAGIC.length];
      trailer.get(magic);
      if (!Arrays.equals(magic, MAGIC) || footerLength <= 0 || footerLength > size - TRAILER) {
        throw new IOException("no footer: the file is truncated or not a jbert example cache");
      }
      ByteBuffer footerBuffer = ByteBuffer.allocate((int) footerLength);
      channel.read(footerBuffer, size - TRAILER - footerLength);
      footer = Footer.read(footerBuffer.array());
      long recordBytes = footer.ints() * Integer.BYTES;
      if (footer.version() != VERSION || !footer.key().equals(key) || footer.maxLen() != config.maxLen()
          || footer.maxPreds() != config.maxPreds()) {
        throw new IOException("written for other settings or by another version");
      }
      if (recordBytes + footerLength + TRAILER != size) {
        throw new IOException("its length does not match its footer");
      }
      if (crc32c(channel, recordBytes) != footer.crc32c()) {
        throw new IOException("its records do not match their checksum");
      }
    }
    Tokenizer vocab = tokenizer;
    if (vocab == null) {
      if (footer.vocab() == null) {
        throw new IOException("it holds no vocabulary");
      }
      vocab = Vocab.of(footer.vocab());
    }
    Ints ints = Ints.map(file, footer.ints());
    LOG.debug("reusing the cached examples {}", file);
    return PretrainingDataset.of(config, new PretrainingDataset.Built(vocab, footer.draws(), footer.stats(), null,
        false), ints, new Use(file, true));
  }

  private static long crc32c(FileChannel channel, long bytes) throws IOException {
    CRC32C crc = new CRC32C();
    for (long at = 0; at < bytes; at += 1L << 30) {
      crc.update(channel.map(FileChannel.MapMode.READ_ONLY, at, Math.min(1L << 30, bytes - at)));
    }
    return crc.getValue();
  }

  /**
   * The key of a build: everything that changes its examples, as text (so that the footer shows it).
   *
   * @param corpusSha256 the training text's checksum
   * @param reading how the text is read into documents (format, locale, validation share)
   * @param tokenizer the tokenizer given to the build; null for d2l's words with their vocabulary built
   */
  static String key(String corpusSha256, String reading, DataConfig config, Tokenizer tokenizer) {
    MaskConfig m = config.masking();
    return "jbert examples v" + VERSION + "\n"
        + "corpus " + corpusSha256 + "\n"
        + "reading " + reading + "\n"
        + "max_len " + config.maxLen() + " min_freq " + config.minFreq() + " seed " + config.seed() + "\n"
        + "masking rate " + m.rate() + " split " + m.mask() + "/" + m.keep() + "/" + m.random() + " whole_word "
        + m.wholeWord() + "\n"
        + "tokenizer " + (tokenizer == null ? "words built" : tokenizerIdentity(tokenizer)) + "\n";
  }

  /** What makes a given tokenizer's ids: its kind, its tokens and, for WordPiece, its normalization. */
  private static String tokenizerIdentity(Tokenizer tokenizer) {
    String normalization = tokenizer instanceof dev.jbert.data.wordpiece.WordPieceTokenizer w
        ? " lowercase " + w.lowercase() : "";
    return tokenizer.kind().cliName() + normalization + " tokens " + sha256(String.join("\n", tokenizer.tokens()));
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
