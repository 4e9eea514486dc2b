package dev.nexttoken.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.model.Gpt2Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigJsonTest {

    @TempDir
    Path dir;

    @Test
    void readsTheFixtureConfig() {
        Gpt2Config config = ConfigJson.read(TestFiles.fixture("tiny").resolve("config.json"));
        assertEquals(new Gpt2Config(2, 4, 64, 32, 50257, 1e-5), config);
        assertEquals(16, config.headSize());
    }

    @Test
    void acceptsNCtxAndDefaultsTheEpsilon() throws IOException {
        Path file = write("{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 8, \"n_ctx\": 16, \"vocab_size\": 100,"
                + " \"activation_function\": \"gelu_pytorch_tanh\"}");
        assertEquals(new Gpt2Config(1, 2, 8, 16, 100, 1e-5), ConfigJson.read(file));
    }

    /** The write replaces the file in one rename: no temporary file stays, and a failed write leaves the old file. */
    @Test
    void writeReplacesTheFileAtomically() throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "old");
        ConfigJson.write(new Gpt2Config(1, 2, 8, 16, 100, 1e-5), file);
        assertEquals(new Gpt2Config(1, 2, 8, 16, 100, 1e-5), ConfigJson.read(file));
        assertEquals(List.of("config.json"), Files.list(dir).map(p -> p.getFileName().toString()).toList());

        Files.createDirectory(dir.resolve("config.json.tmp"));             // the temporary name is taken: the write fails
        assertThrows(NextTokenException.class, () -> ConfigJson.write(new Gpt2Config(2, 2, 8, 16, 100, 1e-5), file));
        assertEquals(new Gpt2Config(1, 2, 8, 16, 100, 1e-5), ConfigJson.read(file));
    }

    @Test
    void writeThenReadGivesTheSameConfigAndHuggingFaceKeys() throws IOException {
        Gpt2Config config = new Gpt2Config(3, 4, 32, 48, 1000, 1e-6);
        Path file = dir.resolve("config.json");
        ConfigJson.write(config, file);
        assertEquals(config, ConfigJson.read(file));
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals("gpt2", json.get("model_type").asText());
        assertEquals("GPT2LMHeadModel", json.get("architectures").get(0).asText());
        assertEquals("gelu_new", json.get("activation_function").asText());
        assertEquals(48, json.get("n_ctx").asInt());
        assertEquals(48, json.get("n_positions").asInt());
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("config.json");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ConfigJson.read(file));
        assertEquals(file + ": config.json not found", e.getMessage());
    }

    @Test
    void directoryInsteadOfFile() {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ConfigJson.read(dir));
        assertEquals(dir + ": is a directory, expected a config.json file", e.getMessage());
    }

    @Test
    void emptyFile() throws IOException {
        Path file = write("");
        assertMessage(file, file + ": config.json is empty");
    }

    @Test
    void malformedJson() throws IOException {
        Path file = write("{\"n_layer\": 2,\n \"n_head\": }");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ConfigJson.read(file));
        TestFiles.assertContains(e.getMessage(), file + ": malformed JSON: ", "(line 2, column");
    }

    @Test
    void notAnObject() throws IOException {
        Path file = write("[1, 2]");
        assertMessage(file, file + ": expected a JSON object, found array");
    }

    @Test
    void missingKey() throws IOException {
        Path file = write("{\"n_layer\": 1, \"n_head\": 2, \"n_positions\": 16, \"vocab_size\": 100}");
        assertMessage(file, file + ": missing required key 'n_embd'");
    }

    @Test
    void missingPositions() throws IOException {
        Path file = write("{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 8, \"vocab_size\": 100}");
        assertMessage(file, file + ": missing required key 'n_ctx'");
    }

    @Test
    void nonIntegerKeys() throws IOException {
        for (String bad : List.of("12.5", "\"12\"", "true", "[12]", "99999999999")) {
            Path file = write("{\"n_layer\": " + bad + ", \"n_head\": 2, \"n_embd\": 8, \"n_positions\": 16,"
                    + " \"vocab_size\": 100}");
            assertMessage(file, file + ": key 'n_layer' must be an integer, got " + bad.replace(" ", ""));
        }
    }

    @Test
    void invalidValuesAreReportedWithTheFile() throws IOException {
        Path file = write("{\"n_layer\": 1, \"n_head\": 3, \"n_embd\": 8, \"n_positions\": 16, \"vocab_size\": 100}");
        assertMessage(file, file + ": n_embd (8) must be a multiple of n_head (3)");
        Path zero = write("{\"n_layer\": 0, \"n_head\": 2, \"n_embd\": 8, \"n_positions\": 16, \"vocab_size\": 100}");
        assertMessage(zero, zero + ": n_layer must be positive, got 0");
        Path eps = write("{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 8, \"n_positions\": 16, \"vocab_size\": 100,"
                + " \"layer_norm_epsilon\": \"small\"}");
        assertMessage(eps, eps + ": key 'layer_norm_epsilon' must be a number, got \"small\"");
    }

    @Test
    void unsupportedActivation() throws IOException {
        Path file = write("{\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 8, \"n_positions\": 16, \"vocab_size\": 100,"
                + " \"activation_function\": \"relu\"}");
        assertMessage(file, file + ": activation_function 'relu' is not supported; GPT-2 uses the tanh GELU"
                + " (gelu_new or gelu_pytorch_tanh)");
    }

    @Test
    void unsupportedArchitectureOptions() throws IOException {
        String base = "\"n_layer\": 1, \"n_head\": 2, \"n_embd\": 8, \"n_positions\": 16, \"vocab_size\": 100";
        Path inner = write("{" + base + ", \"n_inner\": 64}");
        assertMessage(inner, inner + ": n_inner=64 is not supported: the MLP must have 4 * n_embd = 32 units"
                + " (or n_inner null)");
        Path type = write("{" + base + ", \"model_type\": \"llama\"}");
        assertMessage(type, type + ": model_type 'llama' is not supported; nexttoken runs GPT-2 models"
                + " (model_type gpt2)");
        Path scale = write("{" + base + ", \"scale_attn_by_inverse_layer_idx\": true}");
        assertMessage(scale, scale + ": scale_attn_by_inverse_layer_idx=true is not supported"
                + " (only scale_attn_by_inverse_layer_idx=false)");
        Path untied = write("{" + base + ", \"tie_word_embeddings\": false}");
        assertMessage(untied, untied + ": tie_word_embeddings=false is not supported (only tie_word_embeddings=true)");
        // the value GPT-2 configs carry is fine
        assertEquals(8, ConfigJson.read(write("{" + base + ", \"n_inner\": 32}")).nEmbd());
    }

    // Gpt2Config itself

    @Test
    void presets() {
        assertEquals(List.of("gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl"), Gpt2Config.presetNames());
        assertEquals(new Gpt2Config(12, 12, 768, 1024, 50257, 1e-5), Gpt2Config.preset("gpt2"));
        assertEquals(new Gpt2Config(24, 16, 1024, 1024, 50257, 1e-5), Gpt2Config.preset("gpt2-medium"));
        assertEquals(new Gpt2Config(36, 20, 1280, 1024, 50257, 1e-5), Gpt2Config.preset("gpt2-large"));
        assertEquals(new Gpt2Config(48, 25, 1600, 1024, 50257, 1e-5), Gpt2Config.preset("gpt2-xl"));
        assertEquals(124_439_808L, Gpt2Config.preset("gpt2").parameterCount());
        assertEquals(1_557_611_200L, Gpt2Config.preset("gpt2-xl").parameterCount());
        assertEquals(64, Gpt2Config.preset("gpt2-xl").headSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gpt2Config.preset("gpt3"));
        assertEquals("unknown GPT-2 preset 'gpt3'; valid names: gpt2, gpt2-medium, gpt2-large, gpt2-xl", e.getMessage());
    }

    @Test
    void configValidation() {
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Config(1, 2, 8, 16, 0, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Config(1, 2, 8, -1, 10, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Config(1, 2, 8, 16, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Config(1, 2, 8, 16, 10, Double.NaN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Gpt2Config(1, 0, 8, 16, 10, 1e-5));
        assertEquals("n_head must be positive, got 0", e.getMessage());
    }

    private Path write(String json) throws IOException {
        Path file = Files.createTempFile(dir, "config", ".json");
        Files.writeString(file, json);
        return file;
    }

    private static void assertMessage(Path file, String expected) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ConfigJson.read(file));
        assertEquals(expected, e.getMessage());
    }
}
