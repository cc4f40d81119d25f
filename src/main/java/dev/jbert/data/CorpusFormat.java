package dev.jbert.data;

import dev.jbert.JbertException;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
    switch (this) {
      case DOCUMENTS -> {
        List<String> document = new ArrayList<>();
        for (String line : lines) {
          if (line.isBlank()) {
            addIfAny(documents, document);
            document = new ArrayList<>();
          } else {
            document.add(line.strip());
          }
        }
        addIfAny(documents, document);
      }
      case TEXT -> {
        for (String paragraph : paragraphs(lines)) {
          addIfAny(documents, sentences(paragraph, locale));
        }
      }
      case WIKITEXT -> throw new IllegalStateException("WikiText is read by Corpus and Paragraphs");
    }
    return documents;
  }

  private static void addIfAny(List<List<String>> documents, List<String> document) {
    if (!document.isEmpty()) {
      documents.add(document);
    }
  }

  /** Blank-line separated paragraphs with their lines joined, or, in a file without a blank line, the lines. */
  private static List<String> paragraphs(List<String> lines) {
    if (lines.stream().noneMatch(String::isBlank)) {
      return lines;
    }
    List<String> paragraphs = new ArrayList<>();
    StringBuilder paragraph = new StringBuilder();
    for (String line : lines) {
      if (line.isBlank()) {
        if (paragraph.length() > 0) {
          paragraphs.add(paragraph.toString());
          paragraph.setLength(0);
        }
      } else {
        paragraph.append(paragraph.length() > 0 ? " " : "").append(line.strip());
      }
    }
    if (paragraph.length() > 0) {
      paragraphs.add(paragraph.toString());
    }
    return paragraphs;
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
