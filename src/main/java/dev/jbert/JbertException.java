package dev.jbert;

/**
 * A problem with the user's input or environment (missing file, corrupt archive, bad flag value, model/vocabulary
 * mismatch). The message is one line that names the problem and the fix; the CLI prints it without a stack trace and
 * exits with code 2.
 */
public class JbertException extends RuntimeException {
  public JbertException(String message) {
    super(message);
  }

  public JbertException(String message, Throwable cause) {
    super(message, cause);
  }
}
