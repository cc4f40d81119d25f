package dev.jbert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every {@code java} block of README.md is a whole program that compiles against jbert as it is now. */
class ReadmeExamplesTest {
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern CLASS_NAME = Pattern.compile("public class (\\w+)");

  @Test
  void everyJavaExampleOfTheReadmeCompiles(@TempDir Path out) throws Exception {
    Path readme = Path.of(System.getProperty("basedir", "."), "README.md");
    Matcher m = JAVA_BLOCK.matcher(Files.readString(readme));
    List<JavaFileObject> sources = new ArrayList<>();
    while (m.find()) {
      String code = m.group(1);
      Matcher name = CLASS_NAME.matcher(code);
      assertThat(name.find()).as("a README java block declares a public class:%n%s", code).isTrue();
      sources.add(new SimpleJavaFileObject(
          java.net.URI.create("string:///" + name.group(1) + ".java"), JavaFileObject.Kind.SOURCE) {
        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
          return code;
        }
      });
    }
    assertThat(sources).as("java examples in the README").hasSizeGreaterThanOrEqualTo(2);
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    StringWriter messages = new StringWriter();
    boolean ok = compiler.getTask(messages, null, null,
        List.of("-classpath", System.getProperty("java.class.path"), "-d", out.toString(), "-Xlint:all", "-Werror"),
        null, sources).call();
    assertThat(ok).as(messages.toString()).isTrue();
  }
}
