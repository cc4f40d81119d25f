package dev.jbert.data;

import dev.jbert.JbertException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
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
  private final List<String> trainLines;
  private final byte[] trainBytes;
  private Optional<List<String>> validLines;
  private String trainSha256;

  private Corpus(Path source, Path zip, byte[] trainBytes) {
    this.source = source;
    this.zip = zip;
    this.trainBytes = trainBytes;
    this.trainLines = decode(source, TRAIN, trainBytes).lines().toList();
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
      return checked(new Corpus(folder, null, readFile(folderOrZip)));
    }
    if (Files.isDirectory(folderOrZip)) {
      Optional<Path> train = folderFile(folderOrZip, TRAIN);
      if (train.isPresent()) {
        return checked(new Corpus(folderOrZip, null, readFile(train.get())));
      }
      if (!Files.isRegularFile(folderOrZip.resolve(ARCHIVE))) {
        throw new JbertException("no " + TRAIN + " and no " + ARCHIVE + " in the folder " + folderOrZip + ": " + FIX);
      }
    }
    Path zip = Files.isDirectory(folderOrZip) ? folderOrZip.resolve(ARCHIVE) : folderOrZip;
    return checked(new Corpus(folderOrZip, zip, readZipEntry(zip, TRAIN).orElseThrow(() ->
        new JbertException("the zip " + zip + " holds no " + TRAIN + ": " + FIX))));
  }

  private static Corpus checked(Corpus corpus) {
    if (corpus.trainLines.stream().noneMatch(Paragraphs::isKept)) {
      throw new JbertException("the corpus " + corpus.source + " is empty: its " + TRAIN
          + " has no paragraph (no line contains \" . \"); " + FIX);
    }
    return corpus;
  }

  /** The lines of {@code wiki.train.tokens}, without line ends. */
  public List<String> trainLines() {
    return trainLines;
  }

  /** Calls {@code lines} with each line of {@code wiki.train.tokens}, in order. */
  public void forEachTrainLine(java.util.function.Consumer<String> lines) {
    trainLines.forEach(lines);
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
  public synchronized String trainSha256() {
    try {
      if (trainSha256 == null) {
        trainSha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(trainBytes));
      }
      return trainSha256;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
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
