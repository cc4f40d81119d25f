package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.jbert.JbertException;
import dev.jbert.TestData;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The downloader against a local HTTP server serving a small wikitext-style zip. */
class DownloaderTest {
  @TempDir Path dir;
  private HttpServer server;
  private byte[] zip;
  private String sha1;
  private final List<String> userAgents = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    zip = Files.readAllBytes(CorpusTest.zip(dir.resolve("source.zip"),
        Map.of("wikitext-2/wiki.train.tokens", CorpusTest.TRAIN)));
    sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(zip));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/good.zip", exchange -> {
      userAgents.add(exchange.getRequestHeaders().getFirst("User-Agent"));
      exchange.sendResponseHeaders(200, zip.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(zip);
      }
    });
    server.createContext("/truncated.zip", exchange -> {
      exchange.sendResponseHeaders(200, zip.length);
      OutputStream out = exchange.getResponseBody();
      out.write(zip, 0, zip.length / 2);
      out.flush();
      exchange.close(); // fewer bytes than Content-Length: the connection closes early
    });
    server.createContext("/missing.zip", exchange -> {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private static final class Recorder implements Downloader.Listener {
    final List<String> events = new ArrayList<>();
    long lastBytes;
    long total;

    @Override
    public void started(URI uri, long totalBytes) {
      events.add("started " + uri.getPath());
      total = totalBytes;
    }

    @Override
    public void progress(long bytes, long totalBytes) {
      lastBytes = bytes;
    }

    @Override
    public void failed(URI uri, String reason) {
      events.add("failed " + uri.getPath() + ": " + reason);
    }

    @Override
    public void finished(URI uri) {
      events.add("finished " + uri.getPath());
    }
  }

  private static List<Path> files(Path folder) throws IOException {
    if (!Files.exists(folder)) {
      return List.of();
    }
    try (var s = Files.list(folder)) {
      return s.toList();
    }
  }

  @Test
  void downloadsAVerifiedArchiveWithAUserAgentAndReportsProgress() throws IOException {
    Recorder recorder = new Recorder();
    Path target = dir.resolve("cache").resolve(Corpus.ARCHIVE);
    Path result = new Downloader(List.of(new Mirror(uri("/good.zip"), sha1)), recorder).download(target);
    assertThat(result).isEqualTo(target);
    assertThat(Files.readAllBytes(target)).isEqualTo(zip);
    assertThat(files(target.getParent())).containsExactly(target);
    assertThat(recorder.events).containsExactly("started /good.zip", "finished /good.zip");
    assertThat(recorder.lastBytes).isEqualTo(zip.length);
    assertThat(recorder.total).isEqualTo(zip.length);
    assertThat(userAgents).singleElement().asString().startsWith("jbert/");
    assertThat(Corpus.open(target.getParent()).trainLines()).hasSize(4);
  }

  @Test
  void rejectsAChecksumMismatchAndLeavesNothingInTheCache() throws IOException {
    Path cache = dir.resolve("cache");
    Mirror wrong = new Mirror(uri("/good.zip"), "0".repeat(40));
    assertThatThrownBy(() -> new Downloader(List.of(wrong), Downloader.Listener.NONE).download(
        cache.resolve(Corpus.ARCHIVE)))
        .isInstanceOf(JbertException.class)
        .hasMessageContaining("checksum mismatch: SHA-1 " + sha1 + ", expected " + "0".repeat(40))
        .hasMessageContaining("pass --data")
        .hasMessageNotContaining("\n");
    assertThat(files(cache)).isEmpty();
  }

  @Test
  void rejectsATruncatedBody() throws IOException {
    Path cache = dir.resolve("cache");
    Recorder recorder = new Recorder();
    assertThatThrownBy(() -> new Downloader(List.of(new Mirror(uri("/truncated.zip"), sha1)), recorder)
        .download(cache.resolve(Corpus.ARCHIVE)))
        .isInstanceOf(JbertException.class)
        .hasMessageStartingWith("could not download wikitext-2-v1.zip: tried " + uri("/truncated.zip"));
    assertThat(recorder.events).last().asString().startsWith("failed /truncated.zip");
    assertThat(files(cache)).isEmpty();
  }

  @Test
  void movesOnFromA404ToTheNextMirror() throws IOException {
    Recorder recorder = new Recorder();
    Path target = dir.resolve("cache").resolve(Corpus.ARCHIVE);
    new Downloader(List.of(new Mirror(uri("/missing.zip"), sha1), new Mirror(uri("/good.zip"), sha1)), recorder)
        .download(target);
    assertThat(recorder.events)
        .containsExactly("failed /missing.zip: HTTP 404", "started /good.zip", "finished /good.zip");
    assertThat(Files.readAllBytes(target)).isEqualTo(zip);
  }

  @Test
  void namesEveryMirrorTriedWhenAllFail() {
    URI refused = URI.create("http://127.0.0.1:1/nothing.zip");
    assertThatThrownBy(() -> new Downloader(List.of(new Mirror(uri("/missing.zip"), sha1), new Mirror(refused, sha1)),
        Downloader.Listener.NONE).download(dir.resolve(Corpus.ARCHIVE)))
        .isInstanceOf(JbertException.class)
        .hasMessageContaining(uri("/missing.zip") + " (HTTP 404)")
        .hasMessageContaining(refused + " (")
        .hasMessageContaining("pass --data PATH");
  }

  /**
   * The shipped mirror list against spec section 1, read from the spec itself rather than restated here: the working
   * mirror it names, with the original archive's SHA-1 (d2l's DATA_HUB checksum), saved under the archive's name.
   */
  @Test
  void theShippedMirrorIsTheSpecsWithTheOriginalArchivesSha1() throws IOException {
    Path spec = TestData.sharedZip().getParent().resolve("../spec/bert-pretraining.md").normalize();
    String text = Files.readString(spec).replaceAll("\\s+", " ");
    Matcher url = Pattern.compile("A working mirror is `(https://[^`]+)`").matcher(text);
    Matcher sha = Pattern.compile("The original archive's SHA-1 is `([0-9a-f]{40})`").matcher(text);
    assertThat(url.find()).as("the spec names a mirror").isTrue();
    assertThat(sha.find()).as("the spec gives the original SHA-1").isTrue();
    assertThat(Mirror.WIKITEXT_2).first().isEqualTo(new Mirror(URI.create(url.group(1)), sha.group(1)));
    assertThat(Mirror.WIKITEXT_2).allSatisfy(m -> assertThat(m.uri().getPath()).endsWith("/" + Corpus.ARCHIVE));
  }

  /**
   * The shipped checksum at work on real data. The shared copy is a rebuilt archive, not the original (its training
   * file differs: ../shared/data/README.md), so served under the first mirror's path it must be refused by that
   * mirror's SHA-1, with both checksums named and nothing left in the cache; the same bytes under their own SHA-1 go
   * through, so the refusal is the checksum's and not the transfer's.
   */
  @Test
  void theShippedChecksumRefusesTheRebuiltSharedArchive() throws Exception {
    byte[] shared = Files.readAllBytes(TestData.sharedZip());
    String sharedSha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(shared));
    Mirror shipped = Mirror.WIKITEXT_2.get(0);
    server.createContext(shipped.uri().getPath(), exchange -> {
      exchange.sendResponseHeaders(200, shared.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(shared);
      }
    });
    URI local = uri(shipped.uri().getPath());
    Path cache = dir.resolve("cache");
    assertThatThrownBy(() -> new Downloader(List.of(new Mirror(local, shipped.sha1())), Downloader.Listener.NONE)
        .download(cache.resolve(Corpus.ARCHIVE)))
        .isInstanceOf(JbertException.class)
        .hasMessageContaining(local + " (checksum mismatch: SHA-1 " + sharedSha1 + ", expected " + shipped.sha1() + ")");
    assertThat(files(cache)).isEmpty();

    Path target = new Downloader(List.of(new Mirror(local, sharedSha1)), Downloader.Listener.NONE)
        .download(cache.resolve(Corpus.ARCHIVE));
    assertThat(Files.mismatch(target, TestData.sharedZip())).isEqualTo(-1L);
    assertThat(Corpus.open(cache).trainLines()).hasSize(37333);
  }
}
