package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.io.SafetensorsFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bad input from the command line, the cases of issue 6 that {@link ModelErrorsTest} and
 * {@link ArgumentErrorsTest} do not cover: every one exits with 2 and prints exactly one line on
 * standard error (no stack trace) and nothing on standard output.
 */
class BadInputCliTest {

    @TempDir
    Path tmp;

    private static void assertOneLine(CliRun run, String line) {
        assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
        assertEquals(List.of(line), run.errLines());
        assertFalse(run.err().contains("\tat "), run.err());
        assertEquals("", run.out());
    }

    // ------------------------------------------------------------------------------------------
    // Model folders

    @Test
    void zeroByteWeightsFile() throws IOException {
        Path model = folder("empty", config -> config);
        Files.write(model.resolve("model.safetensors"), new byte[0]);
        assertOneLine(CliRun.run("generate", "--model", model.toString(), "--start", "Hi"), "nexttoken generate: "
                + model.resolve("model.safetensors") + ": the file is empty (0 bytes), not a safetensors file");
    }

    @Test
    void directoryInsteadOfTheWeightsFile() throws IOException {
        Path model = folder("dir", config -> config);
        Files.createDirectory(model.resolve("model.safetensors"));
        assertOneLine(CliRun.run("score", "--model", model.toString(), "--start", "Hello world"), "nexttoken score: "
                + model.resolve("model.safetensors") + ": is a directory, expected a .safetensors file");
    }

    @Test
    void directoryInsteadOfConfigJson() throws IOException {
        Path model = Files.createDirectory(tmp.resolve("config-dir"));
        Files.createDirectory(model.resolve("config.json"));
        Files.copy(TinyModel.dir().resolve("model.safetensors"), model.resolve("model.safetensors"));
        assertOneLine(CliRun.run("next", "--model", model.toString(), "--start", "Hi"), "nexttoken next: "
                + model.resolve("config.json") + ": is a directory, expected a config.json file");
    }

    @Test
    void missingConfigJson() throws IOException {
        Path model = Files.createDirectory(tmp.resolve("no-config"));
        Files.copy(TinyModel.dir().resolve("model.safetensors"), model.resolve("model.safetensors"));
        assertOneLine(CliRun.run("generate", "--model", model.toString(), "--start", "Hi"), "nexttoken generate: "
                + model.resolve("config.json") + ": config.json not found in the model folder");
    }

    @Test
    void aFileInsteadOfTheModelFolder() {
        Path file = TinyModel.dir().resolve("model.safetensors");
        assertOneLine(CliRun.run("generate", "--model", file.toString(), "--start", "Hi"), "nexttoken generate: "
                + file + ": not a folder; expected a model folder holding config.json and model.safetensors");
    }

    @Test
    void aHeaderThatLiesAboutOffsets() throws IOException {
        Path model = folder("lies", config -> config);
        String header = "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[40,56]},"
                + "\"wpe.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        writeRaw(model.resolve("model.safetensors"), header, new byte[16]);
        assertOneLine(CliRun.run("generate", "--model", model.toString(), "--start", "Hi"), "nexttoken generate: "
                + model.resolve("model.safetensors") + ": tensor 'wte.weight' has data_offsets [40, 56] out of range:"
                + " the data section holds only 16 bytes (the header is corrupt or the file is truncated)");
    }

    @Test
    void aWeightOfAnUnsupportedDtype() throws IOException {
        Path model = folder("dtype", config -> config);
        byte[] bytes = Files.readAllBytes(TinyModel.dir().resolve("model.safetensors"));
        String text = new String(bytes, StandardCharsets.ISO_8859_1)
                .replace("\"ln_f.bias\":{\"dtype\":\"F32\"", "\"ln_f.bias\":{\"dtype\":\"I32\"");   // same size, same offsets
        Files.write(model.resolve("model.safetensors"), text.getBytes(StandardCharsets.ISO_8859_1));
        assertOneLine(CliRun.run("generate", "--model", model.toString(), "--start", "Hi"), "nexttoken generate: "
                + model.resolve("model.safetensors") + ": tensor 'ln_f.bias' has unsupported dtype I32; weights must"
                + " be F32, F16 or BF16");
    }

    @Test
    void configJsonThatDisagreesWithTheTensors() throws IOException {
        Path model = folder("disagree", config -> config.replace("\"n_embd\": 64", "\"n_embd\": 128"));
        Files.copy(TinyModel.dir().resolve("model.safetensors"), model.resolve("model.safetensors"));
        assertOneLine(CliRun.run("score", "--model", model.toString(), "--start", "Hello world"), "nexttoken score: "
                + model.resolve("model.safetensors") + ": tensor 'wte.weight' has shape [50257, 64], expected"
                + " [50257, 128] (vocab_size=50257, n_embd=128)");
        Path layers = folder("layers", config -> config.replace("\"n_layer\": 2", "\"n_layer\": 2000000000"));
        Files.copy(TinyModel.dir().resolve("model.safetensors"), layers.resolve("model.safetensors"));
        assertOneLine(CliRun.run("generate", "--model", layers.toString(), "--start", "Hi"), "nexttoken generate: "
                + layers.resolve("model.safetensors") + ": config.json has n_layer=2000000000, but the file holds only"
                + " 28 tensors, not even one per block: the configuration does not belong to these weights");
    }

    @Test
    void nanWeightsStopGenerationAndScoring() throws IOException {
        Path model = folder("nan", config -> config);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile tiny = SafetensorsFile.open(TinyModel.dir().resolve("model.safetensors"))) {
            for (String name : tiny.names()) {
                tensors.put(name, tiny.loadCopy(name));
            }
        }
        tensors.get("ln_f.weight").putScalar(0, Float.NaN);
        SafetensorsFile.write(model.resolve("model.safetensors"), tensors, Dtype.F32);
        String damaged = "the weights hold non-finite values (tensor ln_f.weight), so the checkpoint is damaged: load"
                + " an intact copy (Gpt2Weights.LoadOptions.withCheckFinite(true) refuses such weights at load)";
        assertOneLine(CliRun.run("generate", "--model", model.toString(), "--start", "Hi", "--json"),
                "nexttoken generate: the model's logits hold NaN (row 0, token 0): " + damaged);
        assertOneLine(CliRun.run("score", "--model", model.toString(), "--start", "Hello world", "--json"),
                "nexttoken score: the loss is NaN: the model's logits hold NaN or infinity: " + damaged);
    }

    // ------------------------------------------------------------------------------------------
    // Options

    static List<List<String>> invalidOptions() {
        return List.of(
                List.of("generate", "--temperature", "NaN", "temperature must be >= 0 and finite (0 = greedy), got NaN"),
                List.of("generate", "--temperature", "Infinity",
                        "temperature must be >= 0 and finite (0 = greedy), got Infinity"),
                List.of("generate", "--top-k", "-1", "top_k must be >= 0 (0 = off), got -1"),
                List.of("next", "--top-p", "0", "top_p must be in (0, 1], got 0.0"),
                List.of("generate", "--top_p=-0.5", "top_p must be in (0, 1], got -0.5"),
                List.of("generate", "--min-p", "1.5", "min_p must be in [0, 1], got 1.5"),
                List.of("next", "--min-p", "-0.1", "min_p must be in [0, 1], got -0.1"),
                List.of("generate", "--typical-p", "0", "typical_p must be in (0, 1], got 0.0"),
                List.of("next", "--min-tokens-to-keep", "0",
                        "min_tokens_to_keep must be >= 1 (1 = only the processor's own cut-off), got 0"),
                List.of("generate", "--repetition-penalty", "0", "repetition_penalty must be > 0 and finite (1 = off), got 0.0"),
                List.of("generate", "--penalty-window", "-1", "penalty_window must be >= 0 (0 = whole history), got -1"),
                List.of("generate", "--max-new-tokens", "-7", "max_new_tokens must be >= 0, got -7"),
                List.of("generate", "--num-samples", "4097", "num_samples must be in [1, 4096], got 4097"),
                List.of("generate", "--num_samples=2000000000", "num_samples must be in [1, 4096], got 2000000000"),
                List.of("generate", "--stop", "", "a stop string must not be empty"),
                List.of("generate", "--trace", "-1", "trace top-N must be in [0, 1000], got -1"),
                List.of("next", "--top", "-3", "--top must be >= 1, got -3"),
                List.of("generate", "--tokens", "-1", "--tokens: id -1 is outside GPT-2's vocabulary [0, 50257)"),
                List.of("score", "--tokens", "464,-5", "--tokens: id -5 is outside GPT-2's vocabulary [0, 50257)"));
    }

    @ParameterizedTest
    @MethodSource("invalidOptions")
    void invalidOptionsNameTheValidRange(List<String> commandAndMessage) {
        String command = commandAndMessage.get(0);
        List<String> options = commandAndMessage.subList(1, commandAndMessage.size() - 1);
        String[] args = new String[options.size() + 3];
        args[0] = command;
        args[1] = "--model";
        args[2] = TinyModel.path();
        for (int i = 0; i < options.size(); i++) {
            args[3 + i] = options.get(i);
        }
        if (!options.contains("--tokens")) {
            args = java.util.Arrays.copyOf(args, args.length + 2);
            args[args.length - 2] = "--start";
            args[args.length - 1] = "Hi";
        }
        assertOneLine(CliRun.run(args), "nexttoken " + command + ": " + commandAndMessage.get(commandAndMessage.size() - 1));
    }

    @Test
    void minNewTokensWorksFromTheCommandLine() throws IOException {
        CliRun run = CliRun.run("generate", "--model", TinyModel.path(), "--tokens", TinyModel.PROMPT_TOKENS,
                "--min-new-tokens", "3", "--max-new-tokens", "4", "--json");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(4, new ObjectMapper().readTree(run.out()).get("samples").get(0).get("tokens").size());
    }

    // ------------------------------------------------------------------------------------------
    // Empty prompts

    @Test
    void anEmptyPromptStartsFromEndOfText() throws IOException {
        CliRun generate = CliRun.run("generate", "--model", TinyModel.path(), "--start", "", "--max-new-tokens", "3",
                "--json");
        assertEquals(0, generate.exitCode(), generate.err());
        JsonNode json = new ObjectMapper().readTree(generate.out());
        assertEquals("[50256]", json.get("prompt_tokens").toString());
        assertEquals(3, json.get("samples").get(0).get("tokens").size());
        CliRun next = CliRun.run("next", "--model", TinyModel.path(), "--start", "", "--json");
        assertEquals(0, next.exitCode(), next.err());
        assertEquals("[50256]", new ObjectMapper().readTree(next.out()).get("prompt_tokens").toString());
        CliRun score = CliRun.run("score", "--model", TinyModel.path(), "--start", "");
        assertEquals(ExitCodes.USAGE, score.exitCode());
        assertEquals(1, score.errLines().size(), score.err());
        assertTrue(score.err().startsWith("nexttoken score: score needs a text of at least 2 tokens"), score.err());
    }

    // ------------------------------------------------------------------------------------------

    /** A folder holding the tiny model's config.json after {@code edit} (and no weights yet). */
    private Path folder(String name, java.util.function.UnaryOperator<String> edit) throws IOException {
        Path model = Files.createDirectory(tmp.resolve(name));
        Files.writeString(model.resolve("config.json"),
                edit.apply(Files.readString(TinyModel.dir().resolve("config.json"))));
        return model;
    }

    private static void writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(json.length).put(json).put(data);
        Files.write(file, bytes.array());
    }
}
