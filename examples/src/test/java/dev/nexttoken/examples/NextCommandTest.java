package dev.nexttoken.examples;

import static dev.nexttoken.examples.GenerateCommandTest.fieldNames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.NextTokenTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code next} on the tiny fixture model: the table, its JSON, and the plot. */
class NextCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path tmp;

    private static CliRun next(String... args) {
        List<String> all = new ArrayList<>(List.of("next", "--model", TinyModel.path()));
        all.addAll(List.of(args));
        return CliRun.run(all.toArray(String[]::new));
    }

    @Test
    void jsonHasTheShapeOfTheDesign() throws IOException {
        CliRun run = next("--tokens", TinyModel.PROMPT_TOKENS, "--top", "5", "--json");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(1, run.outLines().size(), run.out());
        JsonNode json = JSON.readTree(run.out());
        assertEquals(List.of("prompt_tokens", "candidates"), fieldNames(json));
        assertEquals("[464,2068,7586]", json.get("prompt_tokens").toString());
        JsonNode candidates = json.get("candidates");
        assertEquals(5, candidates.size());
        double previous = 1;
        for (JsonNode c : candidates) {
            assertEquals(List.of("id", "token", "logit", "prob"), fieldNames(c));
            assertTrue(c.get("id").isInt());
            assertTrue(c.get("token").isTextual());
            assertTrue(c.get("logit").isDouble());
            double prob = c.get("prob").doubleValue();
            assertTrue(prob > 0 && prob <= previous, c.toString());
            previous = prob;
        }
        // the most likely token is greedy's first, with its raw lm_head logit
        assertEquals(TinyModel.GREEDY_5[0], candidates.get(0).get("id").intValue());
        assertEquals(" Able", candidates.get(0).get("token").textValue());
        assertEquals(6.78796, candidates.get(0).get("logit").doubleValue(), 1e-4);
    }

    @Test
    void logitIsRawAndProbFollowsTheTemperature() throws IOException {
        JsonNode cold = JSON.readTree(next("--tokens", TinyModel.PROMPT_TOKENS, "--top", "3",
                "--temperature", "0.1", "--json").out());
        JsonNode warm = JSON.readTree(next("--tokens", TinyModel.PROMPT_TOKENS, "--top", "3",
                "--temperature", "1", "--json").out());

        JsonNode coldTop = cold.get("candidates").get(0);
        JsonNode warmTop = warm.get("candidates").get(0);
        assertEquals(coldTop.get("logit").doubleValue(), warmTop.get("logit").doubleValue(), 0);
        assertTrue(coldTop.get("prob").doubleValue() > 0.99, cold.toString());
        assertTrue(warmTop.get("prob").doubleValue() < 0.1, warm.toString());
    }

    @Test
    void theTableShowsTheTokenThatGenerateSamplesFirst() throws IOException {
        for (String seed : List.of("1337", "5", "99")) {
            JsonNode generated = JSON.readTree(CliRun.run("generate", "--model", TinyModel.path(), "--tokens",
                    TinyModel.PROMPT_TOKENS, "--max-new-tokens", "1", "--seed", seed, "--json").out());
            int first = generated.get("samples").get(0).get("tokens").get(0).intValue();

            CliRun table = next("--tokens", TinyModel.PROMPT_TOKENS, "--seed", seed);

            assertEquals(0, table.exitCode(), table.err());
            assertTrue(table.out().contains("generate picks " + first + " "), seed + ": " + table.out());
        }
    }

    @Test
    void humanTableHasOneRowPerCandidate() {
        CliRun run = next("--start", "The quick brown", "--top", "3", "--temperature", "0");

        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = run.outLines();
        assertEquals("prompt: \"The quick brown\" (3 tokens)", lines.get(0));
        assertEquals("", lines.get(1));
        assertEquals("temperature 0 (greedy)", lines.get(2));
        assertTrue(lines.get(3).matches(" *rank +id +token +logit +processed +prob"), lines.get(3));
        assertTrue(lines.get(4).matches(" +1 +45349 +\" Able\" +6\\.7880 +6\\.7880 +0\\.\\d{6} +<"), lines.get(4));
        assertEquals(8, lines.size(), run.out());
        assertEquals("generate picks 45349 \" Able\" first (seed 1337)", lines.get(7));
        assertEquals("", run.err());
    }

    @Test
    void theTableIsTheLibrarysNextTokenTableWithQuotesEscaped() {
        // token 1 is a double quote; the bias makes it the most likely candidate
        CliRun run = next("--tokens", TinyModel.PROMPT_TOKENS, "--top", "5", "--logit-bias", "1=100");
        NextTokenTable table;
        try (Generator generator = Generator.load(TinyModel.dir())) {
            table = generator.next(new int[] {464, 2068, 7586},
                    GenerationOptions.builder().logitBias(1, 100).build(), 5);
        }

        assertEquals(0, run.exitCode(), run.err());
        // the library's toString() and the CLI print one format
        assertTrue(run.out().contains("\n" + table + "generate picks 1 \"\\\"\" first"), run.out() + "---\n" + table);
        assertTrue(table.toString().split("\n")[1].matches(" +1 +1 +\"\\\\\"\" +.*"), table.toString());
    }

    @Test
    void minTokensToKeepLeavesThatManyTokensAfterTopK() throws IOException {
        for (int keep : new int[] {1, 3}) {
            CliRun run = next("--tokens", TinyModel.PROMPT_TOKENS, "--top", "6", "--temperature", "1",
                    "--top-k", "1", "--min-tokens-to-keep", String.valueOf(keep), "--json");

            assertEquals(0, run.exitCode(), run.err());
            int positive = 0;
            for (JsonNode c : JSON.readTree(run.out()).get("candidates")) {
                positive += c.get("prob").doubleValue() > 0 ? 1 : 0;
            }
            assertEquals(keep, positive, run.out());
        }
    }

    @Test
    void plotWritesAPngWithOneSeriesPerTemperature() throws IOException {
        Path png = tmp.resolve("next.png");

        CliRun run = next("--start", "The quick brown", "--top", "6", "--temperature", "0.1,1,10", "--plot",
                png.toString());

        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.size(png) > 1000, "size " + Files.size(png));
        byte[] head = new byte[PNG_MAGIC.length];
        System.arraycopy(Files.readAllBytes(png), 0, head, 0, head.length);
        assertArrayEquals(PNG_MAGIC, head);
        assertEquals(3, run.outLines().stream().filter(line -> line.startsWith("temperature ")).count(), run.out());
        assertEquals(List.of("nexttoken next: wrote " + png), run.errLines());
    }

    @Test
    void plotWithGreedyAndJsonOfOneTemperature() throws IOException {
        Path png = tmp.resolve("greedy.png");

        CliRun run = next("--tokens", TinyModel.PROMPT_TOKENS, "--temperature", "0", "--plot", png.toString(),
                "--json");

        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.size(png) > 0);
        assertEquals(List.of("prompt_tokens", "candidates"), fieldNames(JSON.readTree(run.out())));
    }

    @Test
    void plotIntoAMissingFolderFailsBeforeLoading() {
        Path png = tmp.resolve("no/such/folder/next.png");

        CliRun run = next("--start", "x", "--plot", png.toString());

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(1, run.errLines().size(), run.err());
        assertTrue(run.err().contains("no such folder"), run.err());
        assertFalse(Files.exists(png));
    }

    @Test
    void jsonWithSeveralTemperaturesIsABadArgument() {
        CliRun run = next("--start", "x", "--temperature", "0.5,1", "--plot", tmp.resolve("a.png").toString(),
                "--json");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(1, run.errLines().size(), run.err());
        assertEquals("", run.out());
    }
}
