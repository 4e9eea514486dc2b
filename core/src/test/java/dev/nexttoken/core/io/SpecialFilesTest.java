package dev.nexttoken.core.io;

import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.model.Gpt2Weights;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 15, item 3: only regular files are opened. A FIFO, a device, a symbolic-link loop, a
 * denied permission or a folder that has gone each get a message that says so, naming the path,
 * and nothing blocks.
 *
 * <p>The FIFO tests run the load in a separate thread with a timeout: opening a FIFO blocks in
 * the kernel, where no interrupt reaches, so a regression fails the test instead of hanging the
 * build. The permission tests are skipped when the tests run as root (root reads everything).
 */
class SpecialFilesTest {

    @TempDir
    Path dir;

    /** A copy of the tiny model's folder, to spoil one file of. */
    private Path tinyCopy(String name) throws IOException {
        Path model = Files.createDirectories(dir.resolve(name));
        Path tiny = TestFiles.fixture("tiny");
        Files.copy(tiny.resolve("config.json"), model.resolve("config.json"));
        Files.copy(tiny.resolve("model.safetensors"), model.resolve("model.safetensors"));
        return model;
    }

    private static void mkfifo(Path path) throws IOException, InterruptedException {
        Files.deleteIfExists(path);
        Process process = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        Assumptions.assumeTrue(process.waitFor() == 0, "mkfifo is not available");
    }

    /** Loading must fail with exactly {@code message}, within seconds even if something blocks. */
    private static void assertLoadFails(String message, Executable load) {
        ModelLoadException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(ModelLoadException.class, load));
        assertEquals(message, e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"model.safetensors, .safetensors file", "config.json, config.json file"})
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFifoIsRefusedWithoutBlocking(String name, String what) throws Exception {
        Path model = tinyCopy("fifo-" + name);
        Path fifo = model.resolve(name);
        mkfifo(fifo);
        String message = fifo + ": is a FIFO (named pipe), expected a " + what + "; nexttoken reads only regular"
                + " files (copy the data into a file)";
        assertLoadFails(message, () -> Gpt2Weights.load(model));
        assertLoadFails(message, () -> readAlone(fifo));
    }

    /** Reads one model file on its own, as {@link ConfigJson} or {@link SafetensorsFile}. */
    private static void readAlone(Path file) {
        if (file.endsWith("config.json")) {
            ConfigJson.read(file);
        } else {
            SafetensorsFile.open(file).close();
        }
    }

    @Test
    void aDeviceIsRefusedAsADevice() throws IOException {
        Path devNull = Path.of("/dev/null");
        Assumptions.assumeTrue(Files.exists(devNull), "no /dev/null");
        Path model = tinyCopy("device");
        Path weights = model.resolve("model.safetensors");
        Files.delete(weights);
        Files.createSymbolicLink(weights, devNull);
        assertLoadFails(weights + ": is a character device, expected a .safetensors file; nexttoken reads only"
                + " regular files (copy the data into a file)", () -> Gpt2Weights.load(model));
        assertLoadFails(devNull + ": is a character device, expected a config.json file; nexttoken reads only"
                + " regular files (copy the data into a file)", () -> ConfigJson.read(devNull));
    }

    /** Makes {@code first} and {@code second} symbolic links to each other. */
    private static void linkLoop(Path first, Path second) throws IOException {
        Files.deleteIfExists(first);
        Files.createSymbolicLink(first, second);
        Files.createSymbolicLink(second, first);
    }

    private static void assertLinkLoop(Path path, Executable load) {
        assertLoadFails(path + ": too many levels of symbolic links (a symbolic-link loop?); point the link at a real"
                + " file or folder", load);
    }

    @Test
    void symbolicLinkLoopsAreNamedSo() throws IOException {
        Path folder = dir.resolve("a");
        linkLoop(folder, dir.resolve("b"));
        assertLinkLoop(folder, () -> Gpt2Weights.load(folder));

        Path model = tinyCopy("config-loop");
        Path config = model.resolve("config.json");
        linkLoop(config, model.resolve("other.json"));
        assertLinkLoop(config, () -> Gpt2Weights.load(model));
        assertLinkLoop(config, () -> ConfigJson.read(config));

        Path weights = model.resolve("model.safetensors");
        linkLoop(weights, model.resolve("other.safetensors"));
        assertLinkLoop(weights, () -> SafetensorsFile.open(weights));
    }

    @Test
    void aFolderDeletedBeforeTheLoadIsNotFound() throws IOException {
        Path model = tinyCopy("gone");
        Path weights = model.resolve("model.safetensors");
        Files.delete(weights);
        Files.delete(model.resolve("config.json"));
        Files.delete(model);
        assertLoadFails(model + ": model folder not found", () -> Gpt2Weights.load(model));
        assertLoadFails(weights + ": file not found (its folder " + model.toAbsolutePath() + " does not exist (any"
                + " more): was it deleted or moved?)", () -> SafetensorsFile.open(weights));
    }

    @Test
    void anUnreadableConfigJsonIsPermissionDenied() throws IOException {
        Path model = tinyCopy("unreadable-config");
        Path config = model.resolve("config.json");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("---------"));
        Assumptions.assumeFalse(Files.isReadable(config), "running as root, who reads every file: skipped");
        assertLoadFails(config + ": permission denied: this process may not read the config.json file (check its"
                + " permissions, e.g. chmod a+r)", () -> Gpt2Weights.load(model));
    }

    @Test
    void anUnreadableModelFolderIsPermissionDenied() throws IOException {
        Path model = tinyCopy("unreadable-folder");
        Files.setPosixFilePermissions(model, PosixFilePermissions.fromString("---------"));
        try {
            Assumptions.assumeFalse(Files.isReadable(model), "running as root, who reads every folder: skipped");
            assertLoadFails(model + ": permission denied: this process may not read the model folder (check its"
                    + " permissions, e.g. chmod a+rx)", () -> Gpt2Weights.load(model));
        } finally {
            // readable again for @TempDir's cleanup
            Files.setPosixFilePermissions(model, PosixFilePermissions.fromString("rwx------"));
        }
    }
}
