package dev.jbert;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes a file under a temporary name in the same folder and renames it into place, so that a reader (or a run
 * interrupted by Ctrl-C) never sees a half-written file. Files get the permissions of the umask, as any other file the
 * user creates.
 */
public final class AtomicFiles {
  private static final AtomicLong COUNTER = new AtomicLong();

  /** Temporary files being written: a JVM that exits before their rename (a second Ctrl-C) removes them. */
  private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> IN_FLIGHT.forEach(AtomicFiles::deleteQuietly)));
  }

  private AtomicFiles() {}

  /** Writes what the body puts into the stream. */
  public static void write(Path target, IoBody body) {
    Path tmp = null;
    try {
      tmp = newTemporary(target);
      try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
        body.writeTo(out);
      }
      moveIntoPlace(tmp, target);
    } catch (IOException e) {
      throw new JbertException("cannot write " + target + ": " + e.getMessage()
          + " (check that the folder is writable and the disk has room)", e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  public static void writeString(Path target, String text) {
    write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * A new empty file beside {@code target} (its folder created if needed), for a writer that renames it with
   * {@link #moveIntoPlace} or deletes it. Not {@code Files.createTempFile}, which makes the file {@code -rw-------}
   * whatever the umask; the unique name keeps two writers of one folder apart.
   */
  public static Path newTemporary(Path target) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
        + COUNTER.incrementAndGet() + ".tmp");
    IN_FLIGHT.add(tmp);
    return Files.createFile(tmp);
  }

  /** Renames {@code tmp} to {@code target}, atomically where the file system can. */
  public static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    IN_FLIGHT.remove(tmp);
  }

  /** Deletes a temporary file if it is still there (after a rename it is not). */
  public static void deleteQuietly(Path tmp) {
    if (tmp != null) {
      IN_FLIGHT.remove(tmp);
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the rename succeeded or the write already failed with a message
      }
    }
  }

  /** Produces a file's bytes. */
  @FunctionalInterface
  public interface IoBody {
    void writeTo(OutputStream out) throws IOException;
  }
}
