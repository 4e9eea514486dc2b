package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void jsonIsOneObjectWithTokensAndPieces() throws IOException {
        CliRun run = CliRun.run("tokenize", "--start", "Hello world", "--json");

        assertEquals(0, run.exitCode());
        assertEquals("", run.err());
        assertEquals("{\"tokens\":[15496,995],\"pieces\":[\"Hello\",\" world\"]}\n", run.out());
        JsonNode json = JSON.readTree(run.out());
        assertEquals(List.of("tokens", "pieces"), fieldNames(json));
        assertEquals(15496, json.get("tokens").get(0).intValue());
        assertEquals(995, json.get("tokens").get(1).intValue());
        assertEquals(" world", json.get("pieces").get(1).textValue());
    }

    @Test
    void humanOutputIsATableOfIdsAndQuotedPieces() {
        CliRun run = CliRun.run("tokenize", "--start", "Hello world\n");

        assertEquals(0, run.exitCode());
        assertEquals(List.of(
                "pos     id  piece",
                "  0  15496  \"Hello\"",
                "  1    995  \" world\"",
                "  2    198  \"\\n\"",
                "3 tokens"), run.outLines());
        assertEquals("", run.err());
    }

    @Test
    void endOfTextIsPlainTextUnlessAllowed() throws IOException {
        String text = "a<|endoftext|>b";

        JsonNode plain = JSON.readTree(CliRun.run("tokenize", "--start", text, "--json").out());
        JsonNode special = JSON.readTree(CliRun.run("tokenize", "--start", text, "--allow-special", "--json").out());

        assertEquals("[64,27,91,437,1659,5239,91,29,65]", plain.get("tokens").toString());
        assertEquals("[64,50256,65]", special.get("tokens").toString());
        assertEquals("<|endoftext|>", special.get("pieces").get(1).textValue());
    }

    @Test
    void startFileReadsUtf8FileInBothForms() throws IOException {
        Path prompt = tmp.resolve("prompt.txt");
        Files.writeString(prompt, "Hello world\n", StandardCharsets.UTF_8);

        CliRun joined = CliRun.run("tokenize", "--start=FILE:" + prompt, "--json");
        CliRun separate = CliRun.run("tokenize", "--start", "FILE:" + prompt, "--json");

        assertEquals(0, joined.exitCode(), joined.err());
        assertEquals("[15496,995,198]", JSON.readTree(joined.out()).get("tokens").toString());
        assertEquals(joined.out(), separate.out());
    }

    @Test
    void startFileKeepsNonAsciiText() throws IOException {
        Path prompt = tmp.resolve("café.txt");
        Files.writeString(prompt, "café", StandardCharsets.UTF_8);

        CliRun run = CliRun.run("tokenize", "--start=FILE:" + prompt, "--json");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals("{\"tokens\":[66,1878,2634],\"pieces\":[\"c\",\"af\",\"é\"]}\n", run.out());
    }

    @Test
    void missingStartFileIsABadArgumentOnOneLine() {
        Path missing = tmp.resolve("no-such-prompt.txt");

        CliRun run = CliRun.run("tokenize", "--start=FILE:" + missing, "--json");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals("", run.out());
        assertEquals(List.of("nexttoken tokenize: --start FILE:" + missing + ": no such file: " + missing),
                run.errLines());
    }

    @Test
    void startFileThatIsNotUtf8IsABadArgument() throws IOException {
        Path latin1 = tmp.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9});

        CliRun run = CliRun.run("tokenize", "--start=FILE:" + latin1);

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(List.of("nexttoken tokenize: --start FILE:" + latin1 + ": " + latin1 + " is not valid UTF-8"),
                run.errLines());
    }

    @Test
    void startFileThatIsADirectoryIsABadArgument() {
        CliRun run = CliRun.run("tokenize", "--start=FILE:" + tmp);

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(1, run.errLines().size());
        assertTrue(run.err().contains("is a directory"), run.err());
    }

    @Test
    void tokensShowTheirPieces() throws IOException {
        CliRun run = CliRun.run("tokenize", "--tokens", "15496,995,41840", "--json");

        assertEquals(0, run.exitCode(), run.err());
        JsonNode json = JSON.readTree(run.out());
        assertEquals("[15496,995,41840]", json.get("tokens").toString());
        assertEquals("[\"Hello\",\" world\",\"\\\\xf0\\\\x9f\\\\x91\"]", json.get("pieces").toString());
    }

    @Test
    void tokenOutsideTheVocabularyIsABadArgument() {
        CliRun run = CliRun.run("tokenize", "--tokens", "15496,50257");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(List.of("nexttoken tokenize: --tokens: id 50257 is outside GPT-2's vocabulary [0, 50257)"),
                run.errLines());
    }

    @Test
    void emptyTextHasNoTokens() {
        CliRun json = CliRun.run("tokenize", "--start", "", "--json");
        CliRun table = CliRun.run("tokenize", "--start", "");

        assertEquals("{\"tokens\":[],\"pieces\":[]}\n", json.out());
        assertEquals(List.of("pos     id  piece", "0 tokens"), table.outLines());
    }

    @Test
    void startAndTokensExcludeEachOther() {
        CliRun run = CliRun.run("tokenize", "--start", "Hello", "--tokens", "15496");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(1, run.errLines().size(), run.err());
        assertTrue(run.err().contains("mutually exclusive"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void anInputIsRequired() {
        CliRun run = CliRun.run("tokenize", "--json");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(1, run.errLines().size(), run.err());
        assertTrue(run.err().startsWith("nexttoken tokenize: Missing required argument"), run.err());
        assertFalse(run.err().contains("Error:"), run.err());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
