package dev.jbert.cli;

import dev.jbert.JbertException;
import dev.jbert.JbertVersion;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jbert} command: one subcommand class per job. */
@Command(
    name = "jbert",
    mixinStandardHelpOptions = true,
    versionProvider = JbertCli.Version.class,
    description = "Pretrain d2l's BERT on WikiText-2 or your own text and encode text with it.",
    subcommands = {
      PretrainCommand.class,
      DataCommand.class,
      VocabCommand.class,
      BenchCommand.class,
      EncodeCommand.class,
      SimilarityCommand.class,
      FillMaskCommand.class,
      NextSentenceCommand.class,
      ExportCommand.class,
      CommandLine.HelpCommand.class
    })
public final class JbertCli implements Runnable {
  public static final int EXIT_USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns its exit code; tests call this instead of {@link #main}. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = commandLine();
    cli.setOut(out);
    cli.setErr(err);
    return cli.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new JbertCli());
    cli.setExecutionExceptionHandler(JbertCli::handleExecutionException);
    cli.setParameterExceptionHandler(JbertCli::handleParameterException);
    cli.setCaseInsensitiveEnumValuesAllowed(true); // --masking dynamic, --pool mean
    return cli;
  }

  /** A bad command line gets one line naming the problem and where the help is, not the whole usage text. */
  private static int handleParameterException(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    cmd.getErr().println("error: " + e.getMessage()
        + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
    cmd.getErr().flush();
    return EXIT_USAGE;
  }

  private static int handleExecutionException(
      Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    boolean verbose = Verbosity.isVerbose(parsed);
    PrintWriter err = cmd.getErr();
    if (e instanceof JbertException) {
      err.println("error: " + e.getMessage());
    } else {
      err.println("error: " + e.getClass().getSimpleName() + ": " + e.getMessage()
          + (verbose ? "" : " (run again with --verbose for the stack trace)"));
    }
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return e instanceof JbertException ? EXIT_USAGE : 1;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"jbert " + JbertVersion.get()};
    }
  }
}
