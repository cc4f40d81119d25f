package dev.jbert.data;

import dev.jbert.JbertException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * WikiText-2 text (spec section 1): a folder holding {@code wiki.train.tokens} (and {@code wiki.valid.tokens} when
 * there), the {@code wiki.train.tokens} file itself (its {@code wiki.valid.tokens} looked up beside it), or a zip in
 * the {@code wikitext-2-v1.zip} layout, read straight from the zip.
 */
public final class Corpus {
  public static final String TRAIN = "wiki.train.tokens";
  public static final String VALID = "wiki.valid.tokens";
  public static final String ARCHIVE = "wikitext-2-v1.zip";
  private static final String FIX =
      "pass --data with a folder holding " + TRAIN + ", the " + TRAIN + " file itself or a " + ARCHIVE;

  private final Path source;
  private final Path zip; // null for a folder of text files
  private final Path trainFile; // the file, or the zip's entry name when zip is not null
  private final String trainSha256;
  private List<String> trainLines; // read when asked for: a large corpus is streamed instead
  private Optional<List<String>> validLines;

  /** Reads the training text once, as a stream: its checksum, its encoding and whether it has a paragraph. */
  private Corpus(Path source, Path zip, Path trainFile) {
    this.source = source;
    this.zip = zip;
    this.trainFile = trainFile;
    Check check = new Check();
    try (InputStream in = openTrain()) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        check.update(buf, n);
      }
    } catch (IOException e) {
      throw unreadable(e);
    }
    if (!check.utf8()) {
      throw new JbertException(TRAIN + " in " + source + " is not UTF-8 text: " + FIX);
    }
    if (!check.kept) {
      throw new JbertException("the corpus " + source + " is empty: its " + TRAIN
          + " has no paragraph (no line contains \" . \"); " + FIX);
    }
    trainSha256 = check.sha256();
  }

  /** SHA-256, UTF-8 validity and d2l's paragraph mark {@code " . "} over a stream of bytes. */
  private static final class Check {
    private final MessageDigest sha;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final CharBuffer chars = CharBuffer.allocate(1 << 16);
    private ByteBuffer pending = ByteBuffer.allocate(0);
    private boolean valid = true;
    private boolean kept;
    private int last2 = -1; // the two bytes before this buffer, for a mark split across buffers
    private int last1 = -1;

    Check() {
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
    }

    void update(byte[] buf, int n) {
      sha.update(buf, 0, n);
      for (int i = 0; i < n && !kept; i++) { // " . " has no line end in it: a match is a kept line
        byte b = buf[i];
        kept = b == ' ' && last1 == '.' && last2 == ' ';
        last2 = last1;
        last1 = b;
      }
      if (valid) {
        ByteBuffer in = ByteBuffer.allocate(pending.remaining() + n);
        in.put(pending).put(buf, 0, n).flip();
        while (true) {
          chars.clear();
          CoderResult r = decoder.decode(in, chars, false);
          if (r.isError()) {
            valid = false;
            return;
          }
          if (!r.isOverflow()) {
            break;
          }
        }
        pending = in; // an unfinished character waits for the next bytes
      }
    }

    boolean utf8() {
      chars.clear();
      return valid && !decoder.decode(pending, chars, true).isError() && !decoder.flush(chars).isError();
    }

    String sha256() {
      return HexFormat.of().formatHex(sha.digest());
    }
  }

  private InputStream openTrain() throws IOException {
    if (zip == null) {
      return Files.newInputStream(trainFile);
    }
    ZipFile file = new ZipFile(zip.toFile());
    ZipEntry entry = file.getEntry(trainFile.toString());
    InputStream in = file.getInputStream(entry);
    return new java.io.FilterInputStream(in) {
      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          file.close();
        }
      }
    };
  }

  private JbertException unreadable(IOException e) {
    return e instanceof ZipException
        ? new JbertException("the zip " + zip + " is corrupt (" + e.getMessage() + "): download it again or " + FIX)
        : new JbertException("cannot read " + (zip != null ? "the zip " + zip : trainFile) + " (" + e.getMessage()
            + "): " + FIX);
  }

  /**
   * Opens a folder, a {@code wiki.train.tokens} file or a zip; a {@link JbertException} naming the fix when it is
   * missing, unreadable, not a zip or empty.
   */
  public static Corpus open(Path folderOrZip) {
    if (!Files.exists(folderOrZip)) {
      throw new JbertException("no corpus at " + folderOrZip + ": " + FIX);
    }
    if (Files.isRegularFile(folderOrZip) && !isZip(folderOrZip)) {
      String name = folderOrZip.getFileName().toString();
      if (name.endsWith(".zip")) {
        throw new JbertException("the zip " + folderOrZip + " is corrupt (no zip signature): download it again or "
            + FIX);
      }
      if (!name.equals(TRAIN)) {
        throw new JbertException(folderOrZip + " is neither a zip nor a file called " + TRAIN + ": " + FIX);
      }
      Path folder = folderOrZip.toAbsolutePath().getParent();
      return new Corpus(folder, null, folderOrZip);
    }
    if (Files.isDirectory(folderOrZip)) {
      Optional<Path> train = folderFile(folderOrZip, TRAIN);
      if (train.isPresent()) {
        return new Corpus(folderOrZip, null, train.get());
      }
      if (!Files.isRegularFile(folderOrZip.resolve(ARCHIVE))) {
        throw new JbertException("no " + TRAIN + " and no " + ARCHIVE + " in the folder " + folderOrZip + ": " + FIX);
      }
    }
    Path zip = Files.isDirectory(folderOrZip) ? folderOrZip.resolve(ARCHIVE) : folderOrZip;
    String entry = zipEntry(zip, TRAIN).orElseThrow(() ->
        new JbertException("the zip " + zip + " holds no " + TRAIN + ": " + FIX));
    return new Corpus(folderOrZip, zip, Path.of(entry));
  }

  /** The lines of {@code wiki.train.tokens}, without line ends, read into the heap on the first call. */
  public synchronized List<String> trainLines() {
    if (trainLines == null) {
      List<String> lines = new ArrayList<>();
      forEachTrainLine(lines::add);
      trainLines = List.copyOf(lines);
    }
    return trainLines;
  }

  /**
   * Calls {@code lines} with each line of {@code wiki.train.tokens}, in order, as {@link String#lines} splits them
   * ({@code \n}, {@code \r\n} or {@code \r}), streamed from the file or zip: the text is never whole on the heap.
   */
  public void forEachTrainLine(Consumer<String> lines) {
    List<String> read;
    synchronized (this) {
      read = trainLines;
    }
    if (read != null) {
      read.forEach(lines);
      return;
    }
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(openTrain(), StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16)) {
      for (String line; (line = reader.readLine()) != null; ) {
        lines.accept(line);
      }
    } catch (CharacterCodingException e) {
      throw new JbertException(TRAIN + " in " + source + " is not UTF-8 text: " + FIX);
    } catch (IOException e) {
      throw unreadable(e);
    }
  }

  /** The lines of {@code wiki.valid.tokens}, when the corpus has it. */
  public synchronized Optional<List<String>> validLines() {
    if (validLines == null) {
      Optional<byte[]> bytes = zip == null
          ? folderFile(source, VALID).map(Corpus::readFile)
          : readZipEntry(zip, VALID);
      validLines = bytes.map(b -> decode(source, VALID, b).lines().toList());
    }
    return validLines;
  }

  /** SHA-256 of the bytes of {@code wiki.train.tokens} (hex). */
  public String trainSha256() {
    return trainSha256;
  }

  /** The folder or zip the text came from. */
  public Path source() {
    return source;
  }

  /** Whether the file starts with a zip's local-header (or empty-archive) signature. */
  private static boolean isZip(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && (magic[2] == 3 || magic[2] == 5);
    } catch (IOException e) {
      throw new JbertException("cannot read " + file + " (" + e.getMessage() + "): " + FIX);
    }
  }

  private static Optional<Path> folderFile(Path folder, String name) {
    for (Path candidate : List.of(folder.resolve(name), folder.resolve("wikitext-2").resolve(name))) {
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static byte[] readFile(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new JbertException("cannot read " + file + " (" + e.getMessage() + "): " + FIX);
    }
  }

  /** The name of the entry {@code name} (or {@code .../name}) of the zip. */
  private static Optional<String> zipEntry(Path zip, String name) {
    try (ZipFile file = new ZipFile(zip.toFile())) {
      for (Enumeration<? extends ZipEntry> entries = file.entries(); entries.hasMoreElements(); ) {
        ZipEntry entry = entries.nextElement();
        if (!entry.isDirectory() && (entry.getName().equals(name) || entry.getName().endsWith("/" + name))) {
          return Optional.of(entry.getName());
        }
      }
      return Optional.empty();
    } catch (ZipException e) {
      throw new JbertException("the zip " + zip + " is corrupt (" + e.getMessage() + "): download it again or " + FIX);
    } catch (IOException e) {
      throw new JbertException("cannot read the zip " + zip + " (" + e.getMessage() + "): " + FIX);
    }
  }

  private static Optional<byte[]> readZipEntry(Path zip, String name) {
    try (ZipFile file = new ZipFile(zip.toFile())) {
      for (Enumeration<? extends ZipEntry> entries = file.entries(); entries.hasMoreElements(); ) {
        ZipEntry entry = entries.nextElement();
        if (!entry.isDirectory() && (entry.getName().equals(name) || entry.getName().endsWith("/" + name))) {
          try (InputStream in = file.getInputStream(entry)) {
            return Optional.of(in.readAllBytes());
          }
        }
      }
      return Optional.empty();
    } catch (ZipException e) {
      throw new JbertException("the zip " + zip + " is corrupt (" + e.getMessage() + "): download it again or " + FIX);
    } catch (IOException e) {
      throw new JbertException("cannot read the zip " + zip + " (" + e.getMessage() + "): " + FIX);
    }
  }

  private static String decode(Path source, String name, byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8); // the fast path; malformed input becomes U+FFFD
    if (text.indexOf('\uFFFD') < 0) {
      return text;
    }
    try { // a replacement character: either in the text or a decoding error
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new JbertException(name + " in " + source + " is not UTF-8 text: " + FIX);
    }
  }
}
