package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.ChildJvm;
import dev.jbert.JbertException;
import dev.jbert.TestData;
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
  void everyCacheLayoutIsFoundBeforeTheSharedCopyAndOpens() throws Exception {
    Path shared = CorpusTest.zip(dir.resolve("shared.zip"), Map.of("wikitext-2/wiki.train.tokens", " s . t \n"));
    String cacheLine = " x y . z \n";
    Map<String, String> layouts = Map.of(
        Corpus.TRAIN, "file", Corpus.ARCHIVE, "zip", "wikitext-2/" + Corpus.TRAIN, "file");
    for (Map.Entry<String, String> layout : layouts.entrySet()) {
      Path home = Files.createDirectories(dir.resolve("home-" + layout.getKey().replace('/', '-')));
      Path cache = home.resolve("datasets/wikitext-2");
      Path file = cache.resolve(layout.getKey());
      Files.createDirectories(file.getParent());
      if (layout.getValue().equals("zip")) {
        CorpusTest.zip(file, Map.of("wikitext-2/wiki.train.tokens", cacheLine));
      } else {
        Files.writeString(file, cacheLine);
      }
      AtomicInteger downloads = new AtomicInteger();
      Path found = CorpusLocator.locate(null, Map.of("JBERT_HOME", home.toString()), unreachable(downloads),
          List.of(shared));
      assertThat(found).as(layout.getKey()).isEqualTo(cache);
      assertThat(Corpus.open(found).trainLines()).as(layout.getKey()).containsExactly(" x y . z ");
      assertThat(downloads.get()).isZero();
    }
  }

  /**
   * The public lookup as the CLI runs it, in a child JVM so that the user's home, the environment and the working
   * directory are real: without JBERT_HOME the cache is ~/.jbert; JBERT_DATA comes before it; with nothing local the
   * project's ../shared/data copy is found from the working directory and, from any other folder, beside the project
   * of the running classes.
   */
  @Test
  void theCliLookupUsesTheUsersHomeAndFindsTheSharedCopyFromAnyFolder() throws Exception {
    Path project = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    Path sharedZip = TestData.sharedZip();
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere/deeper"));
    Path emptyHome = Files.createDirectories(dir.resolve("empty-home"));
    Path home = dir.resolve("user-home");
    Path homeCache = Files.createDirectories(home.resolve(".jbert/datasets/wikitext-2"));
    Files.writeString(homeCache.resolve(Corpus.TRAIN), "a . b\n");
    Path fromEnv = Files.createDirectories(dir.resolve("from-env"));

    assertThat(locateInChild(elsewhere, home, null)).isEqualTo(homeCache.toString());
    assertThat(locateInChild(elsewhere, home, fromEnv)).isEqualTo(fromEnv.toString());
    assertThat(Path.of(locateInChild(project, emptyHome, null))).isEqualTo(sharedZip);
    assertThat(Path.of(locateInChild(elsewhere, emptyHome, null))).isEqualTo(sharedZip);
  }

  /** What {@link LocateMain} prints, run in {@code workDir} with that user home and JBERT_DATA, no JBERT_HOME. */
  private static String locateInChild(Path workDir, Path userHome, Path jbertDataOrNull) throws Exception {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("JBERT_HOME", null);
    env.put("JBERT_DATA", jbertDataOrNull == null ? null : jbertDataOrNull.toString());
    ChildJvm.Result r = ChildJvm.run(LocateMain.class, List.of("-Duser.home=" + userHome), workDir, env, 120);
    assertThat(r.exitCode()).as("child JVM: %s", r.stderr()).isZero();
    return r.stdout().strip();
  }

  /** Prints where the CLI's lookup finds the corpus (a download attempt fails: its mirror is unreachable). */
  public static final class LocateMain {
    public static void main(String[] args) {
      System.out.println(CorpusLocator.locate(null, System.getenv(), unreachable(new AtomicInteger())));
    }
  }
}
