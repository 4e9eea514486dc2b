package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad models and bad values of the model commands: exit 2, one line on standard error, nothing on standard output. */
class ModelErrorsTest {

    @TempDir
    Path tmp;

    private static void assertOneLineUsageError(CliRun run) {
        assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
        assertEquals(1, run.errLines().size(), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertEquals("", run.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "next", "score"})
    void withoutModelTheEmbeddedDefaultModelIsUsed(String command) {
        CliRun run = command.equals("generate")
                ? CliRun.run(command, "--start", "Hello world", "--max-new-tokens", "3", "--json")
                : CliRun.run(command, "--start", "Hello world", "--json");

        assertEquals(ExitCodes.OK, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("{"), run.out());
        assertTrue(dev.nexttoken.core.DefaultModel.isAvailable());
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "next", "score"})
    void missingModelFolder(String command) {
        Path missing = tmp.resolve("no-such-model");

        CliRun run = CliRun.run(command, "--model", missing.toString(), "--start", "Hello world");

        assertOneLineUsageError(run);
        assertEquals(List.of("nexttoken " + command + ": " + missing + ": model folder not found"), run.errLines());
    }

    @Test
    void corruptWeightsAreABadModelFolder() throws IOException {
        Path model = Files.createDirectory(tmp.resolve("corrupt"));
        Files.copy(TinyModel.dir().resolve("config.json"), model.resolve("config.json"));
        Files.write(model.resolve("model.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});

        CliRun run = CliRun.run("generate", "--model", model.toString(), "--start", "Hello world");

        assertOneLineUsageError(run);
        assertTrue(run.err().startsWith("nexttoken generate: " + model.resolve("model.safetensors") + ": "), run.err());
    }

    @Test
    void truncatedWeightsAreABadModelFolder() throws IOException {
        Path model = Files.createDirectory(tmp.resolve("truncated"));
        Files.copy(TinyModel.dir().resolve("config.json"), model.resolve("config.json"));
        byte[] weights = Files.readAllBytes(TinyModel.dir().resolve("model.safetensors"));
        Files.write(model.resolve("model.safetensors"), java.util.Arrays.copyOf(weights, weights.length / 2));

        CliRun run = CliRun.run("score", "--model", model.toString(), "--start", "Hello world", "--json");

        assertOneLineUsageError(run);
        assertTrue(run.err().contains("model.safetensors"), run.err());
    }

    @Test
    void badTemperature() {
        CliRun run = CliRun.run("generate", "--model", TinyModel.path(), "--start", "Hi", "--temperature", "-1");

        assertOneLineUsageError(run);
        assertEquals(List.of("nexttoken generate: temperature must be >= 0 and finite (0 = greedy), got -1.0"),
                run.errLines());
    }

    @Test
    void badTopP() {
        CliRun run = CliRun.run("next", "--model", TinyModel.path(), "--start", "Hi", "--top-p", "1.5");

        assertOneLineUsageError(run);
        assertEquals(List.of("nexttoken next: top_p must be in (0, 1], got 1.5"), run.errLines());
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "next", "score"})
    void tokenIdOutsideTheVocabulary(String command) {
        CliRun run = CliRun.run(command, "--model", TinyModel.path(), "--tokens", "464,50257");

        assertOneLineUsageError(run);
        assertEquals(List.of("nexttoken " + command + ": --tokens: id 50257 is outside GPT-2's vocabulary [0, 50257)"),
                run.errLines());
    }

    @Test
    void badNumberOfSamplesAndTop() {
        assertOneLineUsageError(CliRun.run("generate", "--model", TinyModel.path(), "--num-samples", "0"));
        assertOneLineUsageError(CliRun.run("generate", "--model", TinyModel.path(), "--max-new-tokens", "-1"));
        assertOneLineUsageError(CliRun.run("next", "--model", TinyModel.path(), "--top", "0"));
    }

    @Test
    void badBannedSequence() {
        CliRun run = CliRun.run("generate", "--model", TinyModel.path(), "--ban-sequence", "1,x");

        assertOneLineUsageError(run);
        assertEquals(List.of("nexttoken generate: --ban-sequence: '1,x' is not a comma-separated list of token ids"),
                run.errLines());
    }
}
