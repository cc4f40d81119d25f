package dev.jbert.data;

import dev.jbert.JbertException;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/** The layouts a pretraining corpus can have ({@code --format}). */
public enum CorpusFormat {
  /** WikiText-2 as d2l reads it: spec sections 1-2 ({@link Corpus}, {@link Paragraphs}). */
  WIKITEXT,
  /**
   * Google BERT's {@code create_pretraining_data.py} input: one sentence per line, a blank line between documents
   * (and a file ends a document).
   */
  DOCUMENTS,
  /**
   * Ordinary prose: a file with blank lines has paragraphs separated by them (their lines joined, so hard-wrapped text
   * works); a file without has one paragraph per line. Sentences are found with {@link BreakIterator} for the locale.
   * Each paragraph is a document.
   */
  TEXT;

  /** A sample of this many non-blank lines decides between documents and text. */
  static final int DETECTION_LINES = 1000;

  /** Documents when at least this share of the sampled lines holds exactly one sentence. */
  static final double ONE_SENTENCE_SHARE = 0.9;

  /** The name {@code --format} takes and config.json records. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code wikitext}, {@code documents} or {@code text}; anything else is a one-line error. */
  public static CorpusFormat parse(String name) {
    for (CorpusFormat f : values()) {
      if (f.cliName().equals(name.strip().toLowerCase(Locale.ROOT))) {
        return f;
      }
    }
    throw new JbertException("unknown --format '" + name + "': use wikitext, documents or text (or leave it out to"
        + " detect it)");
  }

  /** The documents (each a list of sentences) of one file's lines, in this format (documents or text). */
  List<List<String>> documents(List<String> lines, Locale locale) {
    List<List<String>> documents = new ArrayList<>();
    Splitter splitter = splitter(locale, lines.stream().anyMatch(String::isBlank), d -> documents.add(d.sentences()));
    lines.forEach(splitter::line);
    splitter.end();
    return documents;
  }

  /**
   * Splits one file's lines into documents as they come, so that a file of any size is read a line at a time:
   * documents: blank-line separated runs of lines, one sentence a line; text: blank-line separated paragraphs, or, in a
   * file without a blank line ({@code blankSeparated} false, known from a first pass), each line a paragraph, cut into
   * sentences by {@link #sentences}.
   */
  Splitter splitter(Locale locale, boolean blankSeparated, Consumer<Document> documents) {
    if (this == WIKITEXT) {
      throw new IllegalStateException("WikiText is read by Corpus and TokenizedCorpus");
    }
    return new Splitter(this, locale, blankSeparated, documents);
  }

  /**
   * A document as the splitter finds it: its sentences (documents), or its paragraph (text), cut into sentences only
   * when asked, so that the cutting runs where the document is used: on the threads that tokenize.
   */
  record Document(List<String> lines, String paragraph, Locale locale) {
    static Document of(List<String> sentences) {
      return new Document(sentences, null, null);
    }

    /** The sentences; never empty (a paragraph always holds a word). */
    List<String> sentences() {
      return paragraph == null ? lines : CorpusFormat.sentences(paragraph, locale);
    }

    long chars() {
      return paragraph != null ? paragraph.length() : lines.stream().mapToLong(String::length).sum();
    }
  }

  /** See {@link #splitter}: {@link #line} for each line of a file, then {@link #end}. */
  static final class Splitter {
    private final CorpusFormat format;
    private final Locale locale;
    private final boolean blankSeparated;
    private final Consumer<Document> documents;
    private List<String> document = new ArrayList<>(); // documents: the sentences so far
    private final StringBuilder paragraph = new StringBuilder(); // text: the paragraph so far

    private Splitter(CorpusFormat format, Locale locale, boolean blankSeparated, Consumer<Document> documents) {
      this.format = format;
      this.locale = locale;
      this.blankSeparated = blankSeparated;
      this.documents = documents;
    }

    void line(String line) {
      if (format == DOCUMENTS) {
        if (line.isBlank()) {
          end();
        } else {
          document.add(line.strip());
        }
      } else if (!blankSeparated) {
        paragraph(line.strip());
      } else if (line.isBlank()) {
        end();
      } else {
        paragraph.append(paragraph.length() > 0 ? " " : "").append(line.strip());
      }
    }

    /** Ends the document under way (at a blank line, and at the end of the file). */
    void end() {
      if (!document.isEmpty()) {
        documents.accept(Document.of(document));
        document = new ArrayList<>();
      }
      if (paragraph.length() > 0) {
        paragraph(paragraph.toString());
        paragraph.setLength(0);
      }
    }

    private void paragraph(String text) {
      if (!text.isBlank()) {
        documents.accept(new Document(null, text, locale));
      }
    }
  }

  /** The sentences of {@code text} by {@link BreakIterator}, stripped, blank ones left out. */
  static List<String> sentences(String text, Locale locale) {
    BreakIterator it = BreakIterator.getSentenceInstance(locale);
    it.setText(text);
    List<String> sentences = new ArrayList<>();
    for (int start = it.first(), end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
      String sentence = text.substring(start, end).strip();
      if (!sentence.isEmpty()) {
        sentences.add(sentence);
      }
    }
    return sentences;
  }

  /**
   * The format detected from lines of text files: documents when at least 90% of the first 1000 non-blank lines hold
   * one sentence each, else text.
   *
   * @param format the format
   * @param reason what decided it, for the user
   */
  public record Detection(CorpusFormat format, String reason) {}

  static Detection detect(List<List<String>> files, Locale locale) {
    int sampled = 0;
    int single = 0;
    outer:
    for (List<String> lines : files) {
      for (String line : lines) {
        if (line.isBlank()) {
          continue;
        }
        single += sentences(line, locale).size() == 1 ? 1 : 0;
        if (++sampled == DETECTION_LINES) {
          break outer;
        }
      }
    }
    double share = single / (double) Math.max(1, sampled);
    CorpusFormat format = sampled > 0 && share >= ONE_SENTENCE_SHARE ? DOCUMENTS : TEXT;
    return new Detection(format, String.format(Locale.ROOT, "%.0f%% of the first %d lines hold one sentence",
        100 * share, sampled));
  }
}
