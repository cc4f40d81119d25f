package dev.jbert.data;

import java.net.URI;
import java.util.List;

/**
 * A place to download {@code wikitext-2-v1.zip} from, with the SHA-1 of the archive that place serves (mirrors serve
 * different archives, spec section 1).
 */
public record Mirror(URI uri, String sha1) {
  /** The mirrors tried in order: the original archive at smerity.com (the original hosts answer "Access Denied"). */
  public static final List<Mirror> WIKITEXT_2 = List.of(
      new Mirror(URI.create("https://wikitext.smerity.com/wikitext-2-v1.zip"),
          "3c914d17d80b1459be871a5039ac23e752a53cbe"));

  public Mirror {
    if (!sha1.matches("[0-9a-f]{40}")) {
      throw new IllegalArgumentException("SHA-1 must be 40 lower-case hex digits, got " + sha1);
    }
  }
}
