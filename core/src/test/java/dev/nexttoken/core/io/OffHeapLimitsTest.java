package dev.nexttoken.core.io;

import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * javacpp reads its limits once per JVM, so each case runs in a fresh JVM started without the
 * limit properties (this test JVM has them on its command line): the child prints the limits it
 * ended with, and what it logged.
 */
class OffHeapLimitsTest {

    @Test
    void nexttokenFirstLiftsTheLimitsSilently() throws Exception {
        List<String> out = runChild("nexttoken-first");
        assertEquals("maxBytes=0 maxPhysicalBytes=0", out.get(out.size() - 1), String.join("\n", out));
        assertFalse(String.join("\n", out).contains("WARN"), String.join("\n", out));
    }

    @Test
    void javacppFirstKeepsItsLimitsAndWarnsOnce() throws Exception {
        List<String> out = runChild("javacpp-first");
        String all = String.join("\n", out);
        assertTrue(out.get(out.size() - 1).startsWith("maxBytes=") && !out.get(out.size() - 1).startsWith("maxBytes=0 "),
                all);
        assertEquals(1, out.stream().filter(line -> line.contains("WARN")).count(), all);
        assertTrue(all.contains("-Dorg.bytedeco.javacpp.maxbytes=0"), all);
    }

    @Test
    void aLimitTheUserSetIsKept() throws Exception {
        List<String> out = runChild("nexttoken-first", "-Dorg.bytedeco.javacpp.maxbytes=3g");
        assertTrue(out.get(out.size() - 1).startsWith("maxBytes=3221225472 "), String.join("\n", out));
    }

    private static List<String> runChild(String mode, String... jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(), mode));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish");
        assertEquals(0, process.exitValue(), output);
        return output.lines().toList();
    }

    /** The child JVM: starts javacpp first or not, then applies the limits and prints them. */
    public static final class Child {
        public static void main(String[] args) {
            if (args[0].equals("javacpp-first")) {
                Pointer.maxBytes();                              // another library started Nd4j
            }
            OffHeapLimits.apply();
            OffHeapLimits.apply();                               // idempotent: at most one warning
            System.out.println("maxBytes=" + Pointer.maxBytes() + " maxPhysicalBytes=" + Pointer.maxPhysicalBytes());
        }
    }
}
