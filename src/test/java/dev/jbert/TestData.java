package dev.jbert;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where tests find the shared WikiText-2 copy (CI has it; see ../shared/data/README.md). */
public final class TestData {
  private TestData() {}

  /** {@code ../shared/data/wikitext-2-v1.zip} relative to the project root; fails the test when it is missing. */
  public static Path sharedZip() {
    Path zip = Path.of(System.getProperty("basedir", "."), "..", "shared", "data", "wikitext-2-v1.zip")
        .toAbsolutePath().normalize();
    if (!Files.isRegularFile(zip)) {
      fail("the shared WikiText-2 copy is missing: expected " + zip
          + " (../shared/data/wikitext-2-v1.zip beside the project root; see ../shared/data/README.md)");
    }
    return zip;
  }
}
