package dev.jbert;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of jbert, filtered into {@code version.properties} by Maven at build time. */
public final class JbertVersion {
  private JbertVersion() {}

  public static String get() {
    try (InputStream in = JbertVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "dev";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "dev");
    } catch (IOException e) {
      return "dev";
    }
  }
}
