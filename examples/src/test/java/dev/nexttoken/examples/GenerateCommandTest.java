package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

/** {@code generate} on the tiny fixture model: JSON shape, sample.py's output, streaming, aliases. */
class GenerateCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static CliRun generate(String... args) {
        List<String> all = new ArrayList<>(List.of("generate", "--model", TinyModel.path()));
        all.addAll(List.of(args));
        return CliRun.run(all.toArray(String[]::new));
    }

    @Test
    void greedyJsonHasTheShapeOfTheDesignAndTheFixturesTokens() throws IOException {
        CliRun run = generate("--tokens", TinyModel.PROMPT_TOKENS, "--temperature", "0", "--max-new-tokens", "5",
                "--json");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(1, run.outLines().size(), run.out());
        JsonNode json = JSON.readTree(run.out());
        assertEquals(List.of("samples", "prompt_tokens", "timings"), fieldNames(json));
        assertEquals("[464,2068,7586]", json.get("prompt_tokens").toString());
        assertEquals(1, json.get("samples").size());
        JsonNode sample = json.get("samples").get(0);
        assertEquals(List.of("tokens", "text", "finish_reason"), fieldNames(sample));
        assertArrayEquals(TinyModel.GREEDY_5, ints(sample.get("tokens")));
        assertTrue(sample.get("text").isTextual());
        assertEquals(" Ableote Nepimateourney", sample.get("text").textValue()); // the new text only
        assertEquals("length", sample.get("finish_reason").textValue());
        JsonNode timings = json.get("timings");
        assertEquals(List.of("load_ms", "prefill_ms", "decode_ms", "decode_steps", "new_tokens"), fieldNames(timings));
        assertEquals(5, timings.get("new_tokens").intValue());
        assertEquals(4, timings.get("decode_steps").intValue());
        assertTrue(timings.get("prefill_ms").isNumber());
    }

    @Test
    void theTextPromptGivesTheSameTokensAsTheIds() throws IOException {
        JsonNode json = JSON.readTree(generate("--start", "The quick brown", "--temperature=0",
                "--max-new-tokens=5", "--json").out());

        assertEquals("[464,2068,7586]", json.get("prompt_tokens").toString());
        assertArrayEquals(TinyModel.GREEDY_5, ints(json.get("samples").get(0).get("tokens")));
    }

    @Test
    void memoryMappedWeightsGiveTheSameTokensAsTheCopy() throws IOException {
        JsonNode json = JSON.readTree(generate("--tokens", TinyModel.PROMPT_TOKENS, "--temperature", "0",
                "--max-new-tokens", "5", "--mmap", "--json").out());

        assertArrayEquals(TinyModel.GREEDY_5, ints(json.get("samples").get(0).get("tokens")));
    }

    @Test
    void humanOutputIsPromptAndTextWithoutASeparatorLine() {
        CliRun run = generate("--start", "The quick brown", "--temperature", "0", "--max-new-tokens", "5");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals("The quick brown Ableote Nepimateourney\n", run.out());
        assertEquals("", run.err());
    }

    @Test
    void separatorPrintsSampleDotPysDashesAfterEachSample() {
        CliRun run = generate("--start", "The quick brown", "--temperature", "0", "--max-new-tokens", "5",
                "--separator");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals("The quick brown Ableote Nepimateourney\n---------------\n", run.out());
    }

    @Test
    void severalSamplesAreSetApartByABlankLineWithoutSeparator() {
        String[] args = {"--start", "The quick brown", "--num-samples", "2", "--max-new-tokens", "3", "--seed", "1337"};
        CliRun dashes = generate(append(args, "--separator"));
        CliRun plain = generate(args);

        assertEquals(0, plain.exitCode(), plain.err());
        List<String> samples = dashes.outLines();
        assertEquals(4, samples.size(), dashes.out());
        assertEquals(samples.get(0) + "\n\n" + samples.get(2) + "\n", plain.out());
    }

    private static String[] append(String[] args, String... more) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void sampleDotPyCommandLineWithAliasesGivesTwoSamples() throws IOException {
        Path prompt = tmp.resolve("prompt.txt");
        Files.writeString(prompt, "The quick brown", StandardCharsets.UTF_8);

        CliRun run = CliRun.run("generate", "--model=" + TinyModel.path(), "--start=FILE:" + prompt,
                "--num_samples=2", "--max_new_tokens=3", "--temperature=0.8", "--top_k=200", "--seed=1337",
                "--separator");

        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = run.outLines();
        assertEquals(4, lines.size(), run.out());
        assertEquals("---------------", lines.get(1));
        assertEquals("---------------", lines.get(3));
        assertTrue(lines.get(0).startsWith("The quick brown"), lines.get(0));
        assertTrue(lines.get(2).startsWith("The quick brown"), lines.get(2));
        assertNotEquals(lines.get(0), lines.get(2), "each sample has its own random stream");

        JsonNode json = JSON.readTree(CliRun.run("generate", "--model=" + TinyModel.path(), "--start=FILE:" + prompt,
                "--num_samples=2", "--max_new_tokens=3", "--json").out());
        assertEquals(2, json.get("samples").size());
        for (JsonNode sample : json.get("samples")) {
            assertEquals(3, sample.get("tokens").size());
            assertEquals("length", sample.get("finish_reason").textValue());
        }
        assertEquals("The quick brown" + json.get("samples").get(1).get("text").textValue(), lines.get(2));
    }

    @Test
    void theSameSeedGivesTheSameTextAndAnotherSeedAnother() {
        String[] args = {"--start", "Once upon a time", "--max-new-tokens", "8", "--seed", "42"};
        CliRun first = generate(args);
        CliRun again = generate(args);
        CliRun other = generate("--start", "Once upon a time", "--max-new-tokens", "8", "--seed", "43");

        assertEquals(0, first.exitCode(), first.err());
        assertEquals(first.out(), again.out());
        assertNotEquals(first.out(), other.out());
    }

    @Test
    void streamPrintsExactlyWhatTheNonStreamingRunPrints() {
        for (String samples : List.of("1", "3")) {
            for (boolean separator : new boolean[] {false, true}) {
                String[] args = {"--start", "The quick brown", "--max-new-tokens", "12", "--num-samples", samples,
                    "--seed", "7"};
                if (separator) {
                    args = append(args, "--separator");
                }
                CliRun plain = generate(args);
                CliRun stream = generate(append(args, "--stream"));

                String what = "--num-samples " + samples + (separator ? " --separator" : "");
                assertEquals(0, stream.exitCode(), stream.err());
                assertEquals(plain.out(), stream.out(), what);
                assertEquals(separator ? Integer.parseInt(samples) : 0, stream.outLines().stream()
                        .filter(GenerateCommand.SEPARATOR::equals).count(), what);
            }
        }
    }

    @Test
    void streamedPiecesConcatenateToTheTextWithMultiByteCharacters() throws IOException {
        // "👨" alone is three tokens whose pieces are parts of one character
        CliRun stream = generate("--start", "👨", "--max-new-tokens", "6", "--seed", "3", "--stream");
        JsonNode json = JSON.readTree(generate("--start", "👨", "--max-new-tokens", "6", "--seed", "3", "--json").out());

        assertEquals(0, stream.exitCode(), stream.err());
        assertEquals("👨" + json.get("samples").get(0).get("text").textValue() + "\n", stream.out());
    }

    @Test
    void stopEndsTheSampleBeforeTheStopText() throws IOException {
        JsonNode json = JSON.readTree(generate("--tokens", TinyModel.PROMPT_TOKENS, "--temperature", "0",
                "--max-new-tokens", "5", "--stop", " Nep", "--json").out());

        JsonNode sample = json.get("samples").get(0);
        assertEquals(" Ableote", sample.get("text").textValue());
        assertEquals("stop", sample.get("finish_reason").textValue());
    }

    @Test
    void endOfTextEndsTheSampleUnlessIgnored() throws IOException {
        JsonNode eos = JSON.readTree(generate("--tokens", TinyModel.PROMPT_TOKENS, "--max-new-tokens", "3",
                "--logit-bias", "50256=100", "--json").out());
        JsonNode ignored = JSON.readTree(generate("--tokens", TinyModel.PROMPT_TOKENS, "--max-new-tokens", "3",
                "--logit-bias", "50256=100", "--ignore-eos", "--json").out());

        assertEquals("eos", eos.get("samples").get(0).get("finish_reason").textValue());
        assertEquals("[]", eos.get("samples").get(0).get("tokens").toString());
        assertEquals("[50256,50256,50256]", ignored.get("samples").get(0).get("tokens").toString());
        assertEquals("length", ignored.get("samples").get(0).get("finish_reason").textValue());
    }

    @Test
    void bannedTokensAreNeverProduced() throws IOException {
        JsonNode json = JSON.readTree(generate("--tokens", TinyModel.PROMPT_TOKENS, "--temperature", "0",
                "--max-new-tokens", "5", "--ban-tokens", "45349", "--json").out());

        int[] tokens = ints(json.get("samples").get(0).get("tokens"));
        assertNotEquals(45349, tokens[0]);
        for (int id : tokens) {
            assertNotEquals(45349, id);
        }
    }

    @Test
    void traceRecordsEveryStepWithTheChosenToken() throws IOException {
        JsonNode json = JSON.readTree(generate("--tokens", TinyModel.PROMPT_TOKENS, "--temperature", "0",
                "--max-new-tokens", "3", "--trace", "4", "--json").out());

        JsonNode trace = json.get("trace");
        assertEquals(3, trace.size());
        for (int step = 0; step < 3; step++) {
            JsonNode entry = trace.get(step);
            assertEquals(List.of("sample", "step", "chosen_id", "candidates"), fieldNames(entry));
            assertEquals(step, entry.get("step").intValue());
            assertEquals(TinyModel.GREEDY_5[step], entry.get("chosen_id").intValue());
            assertEquals(4, entry.get("candidates").size());
            assertEquals(TinyModel.GREEDY_5[step], entry.get("candidates").get(0).get("id").intValue());
            assertEquals(List.of("id", "token", "logit", "processed_logit", "prob"),
                    fieldNames(entry.get("candidates").get(0)));
        }

        CliRun human = generate("--tokens", TinyModel.PROMPT_TOKENS, "--temperature", "0", "--max-new-tokens", "2",
                "--trace", "3");
        assertEquals(0, human.exitCode(), human.err());
        assertTrue(human.out().startsWith("The quick brown Ableote\n\nsample 0, step 0: chose 45349 \" Able\"\n"),
                human.out());
        assertTrue(human.out().contains("sample 0, step 0: chose 45349 \" Able\""), human.out());
        assertTrue(human.out().contains("sample 0, step 1: chose 1258 \"ote\""), human.out());
    }

    @Test
    void withoutAPromptTheTextStartsAfterEndOfText() throws IOException {
        JsonNode json = JSON.readTree(generate("--max-new-tokens", "2", "--json").out());

        assertEquals("[50256]", json.get("prompt_tokens").toString());
        assertEquals(2, json.get("samples").get(0).get("tokens").size());
    }

    @Test
    void streamAndJsonExcludeEachOther() {
        CliRun run = generate("--stream", "--json");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(1, run.errLines().size(), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertEquals("", run.out());
    }

    static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            assertTrue(array.get(i).isInt(), array.toString());
            values[i] = array.get(i).intValue();
        }
        return values;
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
