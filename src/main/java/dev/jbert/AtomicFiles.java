package dev.jbert;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file under a temporary name in the same folder and renames it into place, so that a reader (or a run
 * interrupted by Ctrl-C) never sees a half-written file.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes what the body puts into the stream. */
  public static void write(Path target, IoBody body) {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        body.writeTo(out);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new JbertException("cannot write " + target + ": " + e.getMessage()
          + " (check that the folder is writable and the disk has room)", e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the rename succeeded or the write already failed with a message
        }
      }
    }
  }

  public static void writeString(Path target, String text) {
    write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** Produces a file's bytes. */
  @FunctionalInterface
  public interface IoBody {
    void writeTo(OutputStream out) throws IOException;
  }

}
