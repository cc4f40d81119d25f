package dev.jbert.cli;

import picocli.CommandLine;

/** The {@code --verbose} flag, shared by every command as a mixin. */
public final class Verbosity {
  @CommandLine.Option(
      names = "--verbose",
      description = "Print stack traces of errors.")
  boolean verbose;

  static boolean isVerbose(CommandLine.ParseResult parsed) {
    for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }
}
