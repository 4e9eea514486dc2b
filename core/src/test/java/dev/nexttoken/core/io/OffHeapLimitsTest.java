package dev.nexttoken.core.io;

import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

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
        return ChildJvm.run(Child.class, List.of(jvmOptions), mode);
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
