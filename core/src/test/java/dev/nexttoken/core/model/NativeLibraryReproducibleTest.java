package dev.nexttoken.core.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The committed {@code libnexttoken.so} is what {@code core/src/main/c/build.sh} builds from the
 * committed sources: the script runs into a temporary folder and the SHA-256 of its output must
 * equal the committed library's (and the one among the classes, which the jar takes). Where the
 * pinned compiler is missing (build.sh exits 2 saying so) the test is skipped with that reason,
 * except on CI ({@code CI=true}), which installs it: there it fails.
 */
class NativeLibraryReproducibleTest {

    private static final Path SCRIPT = Path.of("src/main/c/build.sh");
    private static final Path COMMITTED = Path.of("src/main/resources" + NativeKernels.RESOURCE);
    /** build.sh's exit code when the pinned gcc-12 or binutils is not installed. */
    private static final int NO_PINNED_TOOLS = 2;

    @Test
    void buildShRebuildsTheCommittedLibrary(@TempDir Path temp) throws Exception {
        assumeTrue(NativeKernelsTest.linuxX86(), "build.sh builds on Linux x86-64 only");
        assertTrue(Files.isRegularFile(SCRIPT), SCRIPT.toAbsolutePath() + " is missing");
        assertTrue(Files.isRegularFile(COMMITTED), COMMITTED.toAbsolutePath() + " is missing");
        Path built = temp.resolve("libnexttoken.so");
        Path log = temp.resolve("build.log");
        ProcessBuilder builder = new ProcessBuilder("sh", SCRIPT.toString(), built.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        Process process = builder.start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail("build.sh took over 5 minutes");
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (process.exitValue() == NO_PINNED_TOOLS) {
            if ("true".equals(System.getenv("CI"))) {
                fail("CI must install the pinned compiler (.ci/run): " + output);
            }
            assumeTrue(false, output.trim());
        }
        assertEquals(0, process.exitValue(), "build.sh failed:\n" + output);
        String committed = sha256(Files.readAllBytes(COMMITTED));
        assertEquals(committed, sha256(Files.readAllBytes(built)),
                "build.sh built other bytes than the committed " + COMMITTED + ": rebuild it with build.sh and commit it");
        try (InputStream resource = NativeKernels.class.getResourceAsStream(NativeKernels.RESOURCE)) {
            assertNotNull(resource, NativeKernels.RESOURCE + " is not among the classes");
            assertEquals(committed, sha256(resource.readAllBytes()), "the library among the classes is not the committed one");
        }
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
