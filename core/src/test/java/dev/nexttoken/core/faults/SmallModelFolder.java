package dev.nexttoken.core.faults;

import dev.nexttoken.core.io.ChildJvm;
import dev.nexttoken.core.io.ConfigJson;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.io.SafetensorsFile;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fault tests' model: a small GPT-2 with random weights written as a Hugging Face folder
 * (2 layers, 128 wide, 64 positions, GPT-2's vocabulary: fast, yet with the real shapes of the
 * files), and the forked JVM that runs a scenario on it.
 */
final class SmallModelFolder {

    private SmallModelFolder() {
    }

    /**
     * Writes the model into {@code parent/model}.
     *
     * @return the model folder
     */
    static Path write(Path parent, long seed) throws IOException {
        Path model = parent.resolve("model");
        Files.createDirectories(model);
        Gpt2Config config = new Gpt2Config(2, 4, 128, 64, 50257, 1e-5);
        try (Gpt2Weights weights = Gpt2Weights.random(config, seed)) {
            ConfigJson.write(config, model.resolve("config.json"));
            SafetensorsFile.write(model.resolve("model.safetensors"), weights.toTensorMap(), Dtype.F32);
        }
        return model;
    }

    /**
     * Runs {@code child}'s {@code main} on the model folder in a forked JVM and asserts that its
     * last line is "ok": a failure it prints, a non-zero exit or a crash fails the calling test.
     */
    static void runScenario(Class<?> child, Path model) throws Exception {
        List<String> out = ChildJvm.run(child, List.of("--add-modules", "jdk.incubator.vector", "-Xmx1g"),
                model.toString());
        assertEquals("ok", out.get(out.size() - 1), String.join("\n", out));
    }

    /** In a child JVM: prints the failure and exits with status 1 unless {@code condition} holds. */
    static void require(boolean condition, String message) {
        if (!condition) {
            System.out.println("FAILED: " + message);
            System.exit(1);
        }
    }
}
