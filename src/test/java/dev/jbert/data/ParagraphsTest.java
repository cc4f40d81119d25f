package dev.jbert.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParagraphsTest {
  private static final List<String> LINES = List.of(
      " = Heading = ",
      "",
      " The Cat sat . The dog ran . ",
      " no separator here",
      " end . ",
      " x .  . y ",
      "a.b . c",
      " . ",
      "tab\t. not a separator");

  @Test
  void keepsOnlyLinesContainingSpaceDotSpaceAndSplitsThemIntoSentences() {
    assertThat(ReferenceParagraphs.fromLines(LINES)).containsExactly(
        List.of(List.of("the", "cat", "sat"), List.of("the", "dog", "ran", ".")),
        List.of(List.of("end", ".")),
        List.of(List.of("x"), List.of(), List.of("y")),
        List.of(List.of("a.b"), List.of("c")),
        List.of(List.of(".")));
  }

  @Test
  void lastSentenceKeepsItsTrailingDotAsAToken() {
    List<List<String>> p = ReferenceParagraphs.fromLines(List.of(" One two . Three four . ")).get(0);
    assertThat(p).hasSize(2);
    assertThat(p.get(1)).containsExactly("three", "four", ".");
  }

  @Test
  void splitsOnPythonWhitespaceIncludingNoBreakSpaceAndLowerCasesUnicode() {
    assertThat(ReferenceParagraphs.fromLines(List.of("\u00c9lan\u00a0\u00dcber . Stra\u00dfe\u2007X\u3000y")))
        .containsExactly(List.of(List.of("\u00e9lan", "\u00fcber"), List.of("stra\u00dfe", "x", "y")));
    assertThat(Paragraphs.tokenize("  A Crane  is\tFlying ")).containsExactly("a", "crane", "is", "flying");
    assertThat(Paragraphs.tokenize("   ")).isEmpty();
  }

  @Test
  void fastTokenizerOfTheDatasetGivesTheSameParagraphsAsFromLines() {
    List<String> lines = new java.util.ArrayList<>(LINES);
    lines.add("\u00c9lan\u00a0\u00dcber . Stra\u00dfe\u2007X\u3000y . \u0130stanbul . ");
    lines.add("  Mixed CASE . with <unk> tokens @-@ here . ");
    lines.addAll(List.of("a . . b", "a  . b", ". a . b", "a . . . b", "a .", "a\t.\tb . c", "a . \t. b", "A .  . B",
        " . . ", "x . \u00a0. y", "\u00a0 A . B \u3000", "Ab.C . D.E"));
    TokenizedCorpus fast = TokenizedCorpus.of(lines);
    List<List<List<String>>> slow = ReferenceParagraphs.fromLines(lines);
    assertThat(fast.paragraphs()).isEqualTo(slow.size());
    for (int p = 0; p < slow.size(); p++) {
      assertThat(fast.sentences(p)).isEqualTo(slow.get(p).size());
      for (int s = 0; s < slow.get(p).size(); s++) {
        int[] ids = fast.sentence(p, s, null);
        List<String> words = java.util.Arrays.stream(ids).mapToObj(fast.table::token).toList();
        assertThat(words).as("paragraph %d sentence %d", p, s).isEqualTo(slow.get(p).get(s));
      }
    }
  }
}
