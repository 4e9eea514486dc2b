package dev.nexttoken.cpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The README's library section is what the integration test builds and runs: its dependency
 * block is the example project's (src/it/readme-example/pom.xml, between the README markers) and
 * its Java block is the example's source. Change one, and this test asks for the other.
 */
class ReadmeExampleTest {

    private static final Path README = Path.of("../README.md");
    private static final Path EXAMPLE = Path.of("src/it/readme-example");
    private static final Pattern FENCE = Pattern.compile("(?ms)^```(\\w*)\\n(.*?)^```");

    @Test
    void theDependencyBlockIsTheExampleProjects() throws IOException {
        String pom = Files.readString(EXAMPLE.resolve("pom.xml"));
        String block = pom.substring(pom.indexOf("<!-- README begin -->") + "<!-- README begin -->".length(),
                pom.indexOf("    <!-- README end -->"));
        String expected = dedent(block
                .replace("@project.version@", System.getProperty("project.version"))
                .replace("@slf4j.version@", System.getProperty("slf4j.version")));
        assertEquals(expected, readmeBlock("xml", "<artifactId>nexttoken-cpu</artifactId>"));
    }

    @Test
    void theJavaBlockIsTheExampleSource() throws IOException {
        String source = Files.readString(EXAMPLE.resolve("src/main/java/example/Example.java"));
        assertEquals(source.strip(), readmeBlock("java", "public class Example"));
    }

    /** The one fenced block of the given language that contains {@code marker}, without its fences. */
    private static String readmeBlock(String language, String marker) throws IOException {
        List<String> found = new ArrayList<>();
        Matcher m = FENCE.matcher(Files.readString(README));
        while (m.find()) {
            if (m.group(1).equals(language) && m.group(2).contains(marker)) {
                found.add(m.group(2).strip());
            }
        }
        assertEquals(1, found.size(), "README blocks of " + language + " with " + marker);
        return found.get(0);
    }

    private static String dedent(String text) {
        int indent = text.lines().filter(line -> !line.isBlank())
                .mapToInt(line -> line.length() - line.stripLeading().length()).min().orElse(0);
        return text.lines().map(line -> line.length() >= indent ? line.substring(indent) : line.strip())
                .collect(Collectors.joining("\n")).strip();
    }
}
