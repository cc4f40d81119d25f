package dev.jbert.data;

import dev.jbert.JbertException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where a corpus comes from and how it is read: what {@code --data}, {@code --format}, {@code --locale},
 * {@code --valid} and {@code --valid-share} say. A run's config.json records it (resolved: absolute paths, the format
 * that was detected), so {@code pretrain --resume} reopens the same text without {@code --data}.
 *
 * @param paths files, folders (their .txt and .gz files) or globs; for WikiText-2 one zip, folder or
 *     {@code wiki.train.tokens}; empty: not given, to be found by the caller (WikiText-2's lookup, a run's own)
 * @param format {@code wikitext}, {@code documents} or {@code text}; null: detected when opened
 * @param locale the BCP 47 language tag whose sentence rules split {@code text} (as {@code en}, {@code de}); null:
 *     {@link Locale#ROOT}
 * @param valid the validation text, read in the same format; empty: WikiText's {@code wiki.valid.tokens}, or a share
 *     of the documents held out
 * @param validShare the share of the documents held out for validation when there is no {@code valid} (every
 *     1/share-th document, so it needs no seed); null: {@link #DEFAULT_VALID_SHARE} for documents and text, none for
 *     WikiText, which has its own split
 */
public record CorpusSpec(List<String> paths, String format, String locale, List<String> valid, Double validShare) {
  /** The share held out when a corpus without a validation split does not say. */
  public static final double DEFAULT_VALID_SHARE = 0.01;

  public CorpusSpec {
    paths = paths == null ? List.of() : List.copyOf(paths);
    valid = valid == null ? List.of() : List.copyOf(valid);
    if (format != null) {
      format = CorpusFormat.parse(format).cliName();
    }
    if (locale != null) {
      locale(locale); // checked now, before any text is read
    }
    if (validShare != null && !(validShare >= 0 && validShare <= 0.5)) {
      throw new JbertException("--valid-share must lie in [0, 0.5], got " + validShare + " (0.01 holds out every"
          + " 100th document)");
    }
    if (validShare != null && validShare > 0 && !valid.isEmpty()) {
      throw new JbertException("pass --valid or --valid-share, not both");
    }
  }

  /** One path, everything else detected or defaulted. */
  public static CorpusSpec of(Path path) {
    return new CorpusSpec(List.of(path.toString()), null, null, List.of(), null);
  }

  /** {@link #format} as the enum; null when it is to be detected. */
  public CorpusFormat formatOrNull() {
    return format == null ? null : CorpusFormat.parse(format);
  }

  /** The locale whose sentence rules split {@code text}. */
  public Locale sentenceLocale() {
    return locale == null ? Locale.ROOT : locale(locale);
  }

  /** The same spec with other paths (a resumed run's text moved). */
  public CorpusSpec withPaths(List<String> newPaths) {
    return new CorpusSpec(newPaths, format, locale, valid, validShare);
  }

  private static Locale locale(String tag) {
    Locale l = Locale.forLanguageTag(tag);
    if (l.getLanguage().isEmpty() && !tag.equalsIgnoreCase("und") && !tag.equalsIgnoreCase("root")) {
      throw new JbertException("unknown --locale '" + tag + "': pass a language tag such as en, de or pt-BR");
    }
    return l;
  }
}
