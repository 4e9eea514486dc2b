package dev.nexttoken.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nexttoken.core.Generator;
import dev.nexttoken.server.NextTokenServer;
import dev.nexttoken.server.ServerConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code nexttoken load} against a server in this JVM: what it counts and times, and a server that is not there. */
class LoadCommandTest {

    @Test
    void countsEveryRequestsTokensAndTimesTheFirstToken() throws Exception {
        try (NextTokenServer server = new NextTokenServer(Generator.loadDefault(),
                ServerConfig.builder().port(0).build(), true).start()) {
            CliRun run = CliRun.run("load", "--server", server.address(), "--clients", "3", "--requests", "5",
                    "--max-tokens", "6", "--json");
            assertEquals(0, run.exitCode(), run.err());
            JsonNode report = new ObjectMapper().readTree(run.out());
            assertEquals(5, report.get("ok").asInt(), run.out());
            assertEquals(0, report.get("failed").asInt());
            assertEquals(30, report.get("completion_tokens").asLong(), "5 requests of 6 tokens, end-of-text ignored");
            double ttft50 = report.get("ttft_ms_p50").asDouble();
            assertTrue(ttft50 > 0 && ttft50 <= report.get("ttft_ms_p99").asDouble(), run.out());
            assertTrue(report.get("token_ms_p50").asDouble() > 0, run.out());
            assertEquals(30 / report.get("seconds").asDouble(), report.get("tokens_per_s").asDouble(), 1e-6);
            // the server saw the 5 requests and the warm-up one, all streamed
            assertTrue(server.metricsText().contains(
                    "nexttoken_requests_total{endpoint=\"/v1/completions\",status=\"200\"} 6.0"),
                    server.metricsText());

            CliRun text = CliRun.run("load", "--server", server.address(), "--clients", "1", "--requests", "1",
                    "--max-tokens", "2", "--warmup", "0");
            assertEquals(0, text.exitCode(), text.err());
            assertTrue(text.out().contains("1 ok, 0 failed") && text.out().contains("time to first token: p50"),
                    text.out());
        }
    }

    @Test
    void aServerThatIsNotThereIsAFailure() {
        CliRun run = CliRun.run("load", "--server", "http://127.0.0.1:1", "--requests", "1");
        assertEquals(ExitCodes.SOFTWARE, run.exitCode());
        assertTrue(run.err().contains("warm-up request failed"), run.err());
    }

    @Test
    void percentilesAreNearestRank() {
        List<Double> values = List.of(5.0, 1.0, 4.0, 2.0, 3.0);
        assertEquals(3.0, LoadCommand.percentile(values, 50));
        assertEquals(5.0, LoadCommand.percentile(values, 99));
        assertEquals(1.0, LoadCommand.percentile(values, 1));
        assertTrue(Double.isNaN(LoadCommand.percentile(List.of(), 50)));
    }
}
