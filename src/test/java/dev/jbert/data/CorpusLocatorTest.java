package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusLocatorTest {
  @TempDir Path dir;

  /** A downloader whose only mirror cannot be reached: calling it fails the lookup with the download message. */
  private static Downloader unreachable(AtomicInteger calls) {
    return new Downloader(List.of(new Mirror(URI.create("http://127.0.0.1:1/w.zip"), "0".repeat(40))),
        new Downloader.Listener() {
          @Override
          public void failed(URI uri, String reason) {
            calls.incrementAndGet();
          }
        });
  }

  @Test
  void looksInDataThenEnvThenCacheThenSharedCopy() throws Exception {
    AtomicInteger downloads = new AtomicInteger();
    Path explicit = dir.resolve("explicit");
    Path fromEnv = Files.createDirectory(dir.resolve("env"));
    Path home = dir.resolve("home");
    Path cache = Files.createDirectories(home.resolve("datasets").resolve("wikitext-2"));
    Path shared = Files.writeString(dir.resolve("shared.zip"), "zip");
    Map<String, String> env = Map.of("JBERT_DATA", fromEnv.toString(), "JBERT_HOME", home.toString());
    List<Path> sharedCandidates = List.of(dir.resolve("absent.zip"), shared);

    assertThat(CorpusLocator.locate(explicit, env, unreachable(downloads), sharedCandidates)).isEqualTo(explicit);
    assertThat(CorpusLocator.locate(null, env, unreachable(downloads), sharedCandidates)).isEqualTo(fromEnv);
    Map<String, String> homeOnly = Map.of("JBERT_HOME", home.toString());
    assertThat(CorpusLocator.locate(null, homeOnly, unreachable(downloads), sharedCandidates)).isEqualTo(shared);
    Files.writeString(cache.resolve(Corpus.TRAIN), "a . b\n");
    assertThat(CorpusLocator.locate(null, homeOnly, unreachable(downloads), sharedCandidates)).isEqualTo(cache);
    assertThat(downloads.get()).isZero();
  }

  @Test
  void downloadsIntoTheCacheWhenNothingIsLocal() {
    AtomicInteger downloads = new AtomicInteger();
    Map<String, String> env = Map.of("JBERT_HOME", dir.resolve("home").toString());
    assertThatThrownBy(() -> CorpusLocator.locate(null, env, unreachable(downloads), List.of(dir.resolve("no.zip"))))
        .isInstanceOf(JbertException.class).hasMessageStartingWith("could not download wikitext-2-v1.zip");
    assertThat(downloads.get()).isEqualTo(1);
    assertThat(CorpusLocator.cacheDir(env)).isEqualTo(dir.resolve("home/datasets/wikitext-2"));
  }

  @Test
  void rejectsAJbertDataThatDoesNotExist() {
    Map<String, String> env = Map.of("JBERT_DATA", dir.resolve("gone").toString());
    assertThatThrownBy(() -> CorpusLocator.locate(null, env, unreachable(new AtomicInteger()), List.of()))
        .isInstanceOf(JbertException.class).hasMessageContaining("JBERT_DATA points at");
  }

  @Test
  void defaultCacheIsUnderDotJbertInTheHomeFolder() {
    assertThat(CorpusLocator.cacheDir(Map.of()))
        .isEqualTo(Path.of(System.getProperty("user.home"), ".jbert", "datasets", "wikitext-2"));
  }

  @Test
  void sharedCopyIsLookedUpBesideTheProjectFolder() {
    assertThat(CorpusLocator.sharedCandidates())
        .contains(Path.of("../shared/data/wikitext-2-v1.zip").toAbsolutePath().normalize());
  }
}
