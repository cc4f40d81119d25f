package dev.jbert.data;

import dev.jbert.JbertException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Plain-text input: files as given, the {@code .txt} and {@code .gz} files of a folder (all levels, in path order),
 * the files a glob matches ({@code texts/*.txt}, {@code texts/**.gz}), and a {@code wikitext-2-v1.zip} (its
 * {@code wiki.train.tokens}). A {@code .gz} file is decompressed as it streams.
 * The text must be UTF-8; invalid bytes and NUL bytes (a binary file) are one-line errors naming the file and the
 * byte offset.
 */
public final class TextFiles {
  private static final int BUFFER = 1 << 16;

  private TextFiles() {}

  /**
   * The files that {@code paths} stand for, in order; a {@link JbertException} for a missing path, an empty folder or
   * a glob that matches nothing.
   */
  public static List<Path> expand(List<Path> paths) {
    List<Path> files = new ArrayList<>();
    for (Path path : paths) {
      if (!Files.exists(path) && isGlob(path.toString())) {
        files.addAll(glob(path));
      } else if (Files.isDirectory(path)) {
        List<Path> found;
        try (Stream<Path> walk = Files.walk(path)) {
          found = walk.filter(Files::isRegularFile).filter(TextFiles::isTextName).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
          throw new JbertException("cannot list the folder " + path + " (" + e.getMessage() + ")");
        }
        if (found.isEmpty()) {
          throw new JbertException("the folder " + path + " holds no .txt or .gz file: pass text files or a folder"
              + " of them");
        }
        files.addAll(found);
      } else if (Files.isRegularFile(path)) {
        files.add(path);
      } else {
        throw new JbertException("no such file or folder: " + path);
      }
    }
    return files;
  }

  /** Whether {@code path} holds a glob wildcard ({@code * ? [ \{}), so that it is matched, not opened. */
  public static boolean isGlob(String path) {
    return path.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
  }

  /**
   * The regular files that match {@code pattern} (Java's glob syntax: {@code *} within a name, {@code **} across
   * folders), in path order. The walk starts at the folder before the first name with a wildcard.
   */
  private static List<Path> glob(Path pattern) {
    Path base = pattern.isAbsolute() ? pattern.getRoot() : Path.of(".");
    int first = 0;
    while (first < pattern.getNameCount() - 1 && !isGlob(pattern.getName(first).toString())) {
      base = base.resolve(pattern.getName(first));
      first++;
    }
    Path rest = pattern.subpath(first, pattern.getNameCount());
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + rest);
    int depth = rest.toString().contains("**") ? Integer.MAX_VALUE : rest.getNameCount();
    Path root = base;
    List<Path> found;
    if (!Files.isDirectory(root)) {
      found = List.of();
    } else {
      try (Stream<Path> walk = Files.walk(root, depth)) {
        found = walk.filter(Files::isRegularFile).filter(p -> matcher.matches(root.relativize(p)))
            .map(Path::normalize) // ./texts/a.txt as texts/a.txt
            .sorted().toList();
      } catch (IOException | UncheckedIOException e) {
        throw new JbertException("cannot list the folder " + root + " (" + e.getMessage() + ")");
      }
    }
    if (found.isEmpty()) {
      throw new JbertException("no file matches " + pattern + ": pass files, folders or a glob that matches some");
    }
    return found;
  }

  private static boolean isTextName(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return !name.startsWith(".") && (name.endsWith(".txt") || name.endsWith(".gz"));
  }

  /**
   * Calls {@code lines} with each line of {@code file} (without its line end; {@code \n} or {@code \r\n}) and returns
   * the bytes read (decompressed, for a {@code .gz}). A {@code .zip} is read as WikiText-2: the lines of its
   * {@code wiki.train.tokens}.
   */
  public static long forEachLine(Path file, Consumer<String> lines) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".zip")) {
      long[] bytes = {0};
      Corpus.open(file).forEachTrainLine(line -> {
        lines.accept(line);
        bytes[0] += line.length() + 1L; // chars, as the zip's byte count is not kept
      });
      return bytes[0];
    }
    boolean gzip = name.endsWith(".gz");
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = gzip ? new GZIPInputStream(new BufferedInputStream(raw, BUFFER), BUFFER) : raw) {
      return readLines(in, file, gzip, lines);
    } catch (NoSuchFileException e) {
      throw new JbertException("no such file: " + file);
    } catch (ZipException | EOFException e) {
      throw new JbertException(file + " is not a complete gzip file (" + e.getMessage() + "): pass .gz files made"
          + " by gzip, or plain .txt files");
    } catch (IOException e) {
      throw new JbertException("cannot read " + file + " (" + e.getMessage() + ")");
    }
  }

  private static long readLines(InputStream in, Path file, boolean gzip, Consumer<String> lines) throws IOException {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    byte[] buf = new byte[BUFFER];
    ByteBuffer bytes = ByteBuffer.wrap(buf); // write mode between reads
    CharBuffer chars = CharBuffer.allocate(BUFFER);
    StringBuilder line = new StringBuilder();
    long base = 0; // the offset in the file of buf[0]
    boolean eof = false;
    while (!eof) {
      int at = bytes.position();
      int n = in.read(buf, at, buf.length - at);
      if (n < 0) {
        eof = true;
      } else {
        for (int i = at; i < at + n; i++) {
          if (buf[i] == 0) {
            throw new JbertException(file + " looks binary: a NUL byte at byte offset " + (base + i) + where(gzip)
                + ": pass UTF-8 text files");
          }
        }
        bytes.position(at + n);
      }
      bytes.flip();
      while (true) {
        CoderResult result = decoder.decode(bytes, chars, eof);
        if (result.isError()) {
          long offset = base + bytes.position();
          throw new JbertException(file + " is not UTF-8 text: invalid byte 0x"
              + String.format(Locale.ROOT, "%02X", buf[bytes.position()] & 0xFF) + " at byte offset " + offset
              + where(gzip) + ": pass UTF-8 text files (convert with iconv -t UTF-8)");
        }
        drain(chars, line, lines);
        if (!result.isOverflow()) {
          break;
        }
      }
      base += bytes.position();
      bytes.compact();
    }
    decoder.flush(chars);
    drain(chars, line, lines);
    if (line.length() > 0) {
      lines.accept(stripCr(line));
    }
    return base + bytes.position();
  }

  private static String where(boolean gzip) {
    return gzip ? " of the decompressed text" : "";
  }

  /** Moves the decoded chars into lines; the unfinished last line stays in {@code line}. */
  private static void drain(CharBuffer chars, StringBuilder line, Consumer<String> lines) {
    chars.flip();
    char[] a = chars.array();
    int start = chars.position();
    int end = chars.limit();
    for (int i = start; i < end; i++) {
      if (a[i] == '\n') {
        line.append(a, start, i - start);
        lines.accept(stripCr(line));
        line.setLength(0);
        start = i + 1;
      }
    }
    line.append(a, start, end - start);
    chars.clear();
  }

  private static String stripCr(StringBuilder line) {
    int len = line.length();
    return len > 0 && line.charAt(len - 1) == '\r' ? line.substring(0, len - 1) : line.toString();
  }
}
