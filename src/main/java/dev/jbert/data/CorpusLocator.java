package dev.jbert.data;

import dev.jbert.JbertException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds WikiText-2, in this order: {@code --data}; {@code $JBERT_DATA}; the cache
 * {@code $JBERT_HOME/datasets/wikitext-2} (JBERT_HOME defaults to {@code ~/.jbert}); {@code ../shared/data/wikitext-2-v1.zip}
 * beside the project (from the working directory, then from the folder of the jar's project); else a download from the
 * mirrors into the cache.
 */
public final class CorpusLocator {
  public static final String SHARED_ZIP = "../shared/data/" + Corpus.ARCHIVE;

  private CorpusLocator() {}

  /** The folder or zip to {@link Corpus#open}; downloads into the cache when nothing local is found. */
  public static Path locate(Path explicitOrNull, Map<String, String> env, Downloader downloader) {
    return locate(explicitOrNull, env, downloader, sharedCandidates());
  }

  static Path locate(Path explicitOrNull, Map<String, String> env, Downloader downloader, List<Path> shared) {
    if (explicitOrNull != null) {
      return explicitOrNull;
    }
    String fromEnv = env.get("JBERT_DATA");
    if (fromEnv != null && !fromEnv.isBlank()) {
      Path p = Path.of(fromEnv);
      if (!Files.exists(p)) {
        throw new JbertException("JBERT_DATA points at " + p + ", which does not exist: fix JBERT_DATA or pass --data");
      }
      return p;
    }
    Path cache = cacheDir(env);
    if (Files.isRegularFile(cache.resolve(Corpus.TRAIN)) || Files.isRegularFile(cache.resolve(Corpus.ARCHIVE))
        || Files.isRegularFile(cache.resolve("wikitext-2").resolve(Corpus.TRAIN))) {
      return cache;
    }
    for (Path p : shared) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    downloader.download(cache.resolve(Corpus.ARCHIVE));
    return cache;
  }

  /** {@code $JBERT_HOME/datasets/wikitext-2}, JBERT_HOME defaulting to {@code ~/.jbert}. */
  public static Path cacheDir(Map<String, String> env) {
    return jbertHome(env).resolve("datasets").resolve("wikitext-2");
  }

  /** {@code $JBERT_HOME}, defaulting to {@code ~/.jbert}. */
  public static Path jbertHome(Map<String, String> env) {
    String home = env.get("JBERT_HOME");
    return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".jbert");
  }

  /** The shared zip relative to the working directory and to the project folder of the running jar (or classes). */
  static List<Path> sharedCandidates() {
    List<Path> candidates = new ArrayList<>();
    candidates.add(Path.of(SHARED_ZIP).toAbsolutePath().normalize());
    try {
      // target/jbert.jar or target/classes: the project folder is two levels up
      Path code = Path.of(CorpusLocator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path project = code.getParent() == null ? null : code.getParent().getParent();
      if (project != null) {
        Path p = project.resolve(SHARED_ZIP).normalize();
        if (!candidates.contains(p)) {
          candidates.add(p);
        }
      }
    } catch (URISyntaxException | RuntimeException e) {
      // no code source (unusual class loader): the working directory is the only candidate
    }
    return candidates;
  }
}
