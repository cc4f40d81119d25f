package dev.jbert.data;

import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import dev.jbert.JbertVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Downloads an archive from the first {@link Mirror} that serves it whole with its checksum. The bytes go to a
 * temporary file beside the target, renamed onto the target only once verified, so a failed or corrupt download never
 * leaves a file behind. A 404, a truncated body, a connection error or a checksum mismatch moves on to the next mirror.
 */
public final class Downloader {
  /** Progress of a download; the CLI draws a progress bar from it. */
  public interface Listener {
    Listener NONE = new Listener() {};

    /** A mirror answered; {@code totalBytes} is -1 when it sent no length. */
    default void started(URI uri, long totalBytes) {}

    default void progress(long bytes, long totalBytes) {}

    /** The mirror failed for {@code reason}; the next one is tried. */
    default void failed(URI uri, String reason) {}

    default void finished(URI uri) {}
  }

  private final List<Mirror> mirrors;
  private final Listener listener;
  private final HttpClient client;

  public Downloader(List<Mirror> mirrors, Listener listener) {
    this(mirrors, listener, HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(Duration.ofSeconds(30))
        .build());
  }

  public Downloader(List<Mirror> mirrors, Listener listener, HttpClient client) {
    if (mirrors.isEmpty()) {
      throw new IllegalArgumentException("no mirror to download from");
    }
    this.mirrors = List.copyOf(mirrors);
    this.listener = listener;
    this.client = client;
  }

  public List<Mirror> mirrors() {
    return mirrors;
  }

  /** Downloads to {@code target} (its folder is created) and returns it; a {@link JbertException} when all mirrors fail. */
  public Path download(Path target) {
    Path dir = target.toAbsolutePath().getParent();
    List<String> failures = new ArrayList<>();
    for (Mirror mirror : mirrors) {
      try {
        Files.createDirectories(dir);
        String problem = tryMirror(mirror, target, dir);
        if (problem == null) {
          listener.finished(mirror.uri());
          return target;
        }
        failures.add(mirror.uri() + " (" + problem + ")");
        listener.failed(mirror.uri(), problem);
      } catch (IOException e) {
        String problem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        failures.add(mirror.uri() + " (" + problem + ")");
        listener.failed(mirror.uri(), problem);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new JbertException("download of " + target.getFileName() + " interrupted: pass --data with a local copy");
      }
    }
    throw new JbertException("could not download " + target.getFileName() + ": tried " + String.join(", ", failures)
        + "; download it yourself and pass --data PATH (a folder holding " + Corpus.TRAIN + " or the zip)");
  }

  /** One mirror: null when {@code target} now holds the verified archive, else what went wrong. */
  private String tryMirror(Mirror mirror, Path target, Path dir) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(mirror.uri())
        .header("User-Agent", "jbert/" + JbertVersion.get() + " (Java " + Runtime.version().feature() + ")")
        .GET()
        .build();
    HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        return "HTTP " + response.statusCode();
      }
      long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      listener.started(mirror.uri(), total);
      Path tmp = AtomicFiles.newTemporary(target);
      try {
        MessageDigest sha1 = sha1();
        long bytes = 0;
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
          byte[] buffer = new byte[1 << 16];
          for (int n; (n = body.read(buffer)) >= 0; ) {
            out.write(buffer, 0, n);
            sha1.update(buffer, 0, n);
            bytes += n;
            listener.progress(bytes, total);
          }
        }
        if (total >= 0 && bytes != total) {
          return "truncated: " + bytes + " of " + total + " bytes";
        }
        String actual = HexFormat.of().formatHex(sha1.digest());
        if (!actual.equals(mirror.sha1())) {
          return "checksum mismatch: SHA-1 " + actual + ", expected " + mirror.sha1();
        }
        AtomicFiles.moveIntoPlace(tmp, target);
        return null;
      } finally {
        AtomicFiles.deleteQuietly(tmp);
      }
    }
  }

  private static MessageDigest sha1() {
    try {
      return MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }
}
