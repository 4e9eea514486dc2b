package dev.nexttoken.examples;

import static dev.nexttoken.examples.GenerateCommandTest.fieldNames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nexttoken.core.Generator;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code score} on the tiny fixture model. */
class ScoreCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** "The quick brown fox jumps over the." */
    private static final String TOKENS = "464,2068,7586,21831,18045,625,262,13";

    /** The loss of {@link #TOKENS} under the tiny model (the fixtures' reference implementation). */
    private static final double LOSS = 12.2611526058;

    @Test
    void jsonHasTheShapeOfTheDesignAndTheReferenceLoss() throws IOException {
        CliRun run = CliRun.run("score", "--model", TinyModel.path(), "--tokens", TOKENS, "--json");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(1, run.outLines().size(), run.out());
        JsonNode json = JSON.readTree(run.out());
        assertEquals(List.of("tokens", "loss", "perplexity", "token_losses"), fieldNames(json));
        assertTrue(json.get("tokens").isInt());
        assertEquals(8, json.get("tokens").intValue());
        assertEquals(LOSS, json.get("loss").doubleValue(), 1e-5);
        assertEquals(Math.exp(json.get("loss").doubleValue()), json.get("perplexity").doubleValue(), 1e-6);
        JsonNode losses = json.get("token_losses");
        assertEquals(7, losses.size());
        double sum = 0;
        for (JsonNode loss : losses) {
            assertTrue(loss.isDouble() && loss.doubleValue() > 0, loss.toString());
            sum += loss.doubleValue();
        }
        assertEquals(json.get("loss").doubleValue(), sum / 7, 1e-9);
    }

    @Test
    void theTextGivesTheSameScoreAsItsTokens() throws IOException {
        JsonNode json = JSON.readTree(CliRun.run("score", "--model", TinyModel.path(),
                "--start", "The quick brown fox jumps over the.", "--json").out());

        assertEquals(8, json.get("tokens").intValue());
        assertEquals(LOSS, json.get("loss").doubleValue(), 1e-5);
    }

    @Test
    void humanOutputHasLossPerplexityAndATokenTable() {
        CliRun run = CliRun.run("score", "--model", TinyModel.path(), "--tokens", TOKENS);

        assertEquals(0, run.exitCode(), run.err());
        List<String> lines = run.outLines();
        assertEquals("loss        12.261153 nats per token (mean over 7 predicted tokens)", lines.get(0));
        assertTrue(lines.get(1).startsWith("perplexity  2113"), lines.get(1));
        assertTrue(lines.get(3).matches("pos +id +token +-log p"), lines.get(3));
        assertEquals("  0    464  \"The\"", lines.get(4).stripTrailing());
        assertTrue(lines.get(5).matches(" +1 +2068 +\" quick\" +\\d+\\.\\d{4}"), lines.get(5));
        assertEquals(4 + 8, lines.size(), run.out());
    }

    @Test
    void strideGivesTheLibrarysStridedScore() throws IOException {
        // 80 tokens: three windows of the tiny model's 32 at stride 32, more at stride 8.
        int[] ids = new int[80];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7919) % 50_000;
        }
        String tokens = Arrays.stream(ids).mapToObj(String::valueOf)
                .collect(Collectors.joining(","));
        double consecutive;
        double strided;
        try (Generator generator = Generator.load(TinyModel.dir())) {
            consecutive = generator.score(ids).loss();
            strided = generator.score(ids, 8).loss();
        }

        JsonNode byDefault = JSON.readTree(CliRun.run("score", "--model", TinyModel.path(), "--tokens", tokens,
                "--json").out());
        JsonNode byStride = JSON.readTree(CliRun.run("score", "--model", TinyModel.path(), "--tokens", tokens,
                "--stride", "8", "--json").out());

        assertEquals(consecutive, byDefault.get("loss").doubleValue(), 1e-9);
        assertEquals(strided, byStride.get("loss").doubleValue(), 1e-9);
        assertTrue(Math.abs(strided - consecutive) > 1e-6, "more context changes the loss");
        assertEquals(79, byStride.get("token_losses").size());
    }

    @Test
    void aStrideOutsideTheContextIsAUsageError() {
        CliRun run = CliRun.run("score", "--model", TinyModel.path(), "--tokens", TOKENS, "--stride", "33");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(List.of("nexttoken score: stride must be in [1, 32] (n_positions), got 33"),
                run.errLines());
    }

    @Test
    void oneTokenIsTooShortToScore() {
        CliRun run = CliRun.run("score", "--model", TinyModel.path(), "--tokens", "464");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(List.of("nexttoken score: score needs a text of at least 2 tokens (the first is only context),"
                + " got 1"), run.errLines());
    }
}
