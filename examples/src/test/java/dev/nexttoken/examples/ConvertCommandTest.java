package dev.nexttoken.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nexttoken convert}: a converted folder that {@code --model} loads and that generates what
 * {@code --dtype} on load generates; refusals with one clear line; {@code --force}.
 */
class ConvertCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void convertedFolderGeneratesAsDtypeOnLoadDoes() throws Exception {
        Path out = tmp.resolve("tiny-q8");
        CliRun convert = CliRun.run("convert", "--dtype", "q8", TinyModel.path(), out.toString());
        assertEquals(0, convert.exitCode(), convert.err());
        assertTrue(Files.isRegularFile(out.resolve("config.json")) && Files.isRegularFile(out.resolve("model.safetensors")));
        assertTrue(Files.size(out.resolve("model.safetensors")) < Files.size(TinyModel.dir().resolve("model.safetensors")) / 3);

        JsonNode fromFolder = JSON.readTree(CliRun.run("generate", "--model", out.toString(), "--tokens",
                TinyModel.PROMPT_TOKENS, "--temperature", "0", "--max-new-tokens", "5", "--json").out());
        JsonNode onLoad = JSON.readTree(CliRun.run("generate", "--model", TinyModel.path(), "--dtype", "q8", "--tokens",
                TinyModel.PROMPT_TOKENS, "--temperature", "0", "--max-new-tokens", "5", "--json").out());
        assertEquals(onLoad.get("samples"), fromFolder.get("samples"));

        JsonNode f32 = JSON.readTree(CliRun.run("generate", "--model", TinyModel.path(), "--dtype", "F32", "--tokens",
                TinyModel.PROMPT_TOKENS, "--temperature", "0", "--max-new-tokens", "5", "--json").out());
        int[] tokens = new int[5];
        for (int i = 0; i < 5; i++) {
            tokens[i] = f32.get("samples").get(0).get("tokens").get(i).asInt();
        }
        assertArrayEquals(TinyModel.GREEDY_5, tokens);
    }

    @Test
    void refusesAnExistingOutputUnlessForcedAndABadFormat() throws Exception {
        Path out = tmp.resolve("tiny-bf16");
        assertEquals(0, CliRun.run("convert", "--dtype", "bf16", TinyModel.path(), out.toString()).exitCode());

        CliRun again = CliRun.run("convert", "--dtype", "f16", TinyModel.path(), out.toString());
        assertEquals(ExitCodes.USAGE, again.exitCode());
        assertEquals(1, again.errLines().size(), again.err());
        assertTrue(again.err().contains("already exists") && again.err().contains("--force"), again.err());

        CliRun forced = CliRun.run("convert", "--dtype", "f16", "--force", TinyModel.path(), out.toString());
        assertEquals(0, forced.exitCode(), forced.err());
        assertTrue(Files.notExists(tmp.resolve("tiny-bf16.tmp")) && Files.notExists(tmp.resolve("tiny-bf16.old")));

        CliRun bad = CliRun.run("convert", "--dtype", "int4", TinyModel.path(), tmp.resolve("x").toString());
        assertEquals(ExitCodes.USAGE, bad.exitCode());
        assertTrue(bad.err().contains("f32, f16, bf16 or q8"), bad.err());

        CliRun missing = CliRun.run("convert", "--dtype", "q8", tmp.resolve("nope").toString(), tmp.resolve("y").toString());
        assertEquals(ExitCodes.USAGE, missing.exitCode());
        assertTrue(missing.err().contains("is not a model folder"), missing.err());
    }
}
