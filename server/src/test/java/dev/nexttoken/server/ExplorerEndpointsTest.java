package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.sampling.RandomStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /v1/next}'s {@code draw}, and the explorer page's files: the page, its scripts and its WebJar. */
class ExplorerEndpointsTest {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theDrawFallsInTheChosenTokensIntervalForEverySeed() throws Exception {
        for (long seed = 1; seed <= 12; seed++) {
            JsonNode body = TestServer.json(server.post("/v1/next", """
                    {"prompt": "The capital of France is", "temperature": 1.5, "top_k": 6, "top_n": 10, "seed": %d}"""
                    .formatted(seed)));
            JsonNode draw = body.get("draw");
            double u = draw.get("u").asDouble();
            assertEquals(RandomStream.of(seed, 0).nextDouble(), u, "the first number of sequence 0's stream");
            int chosen = body.get("chosen_id").asInt();
            int expectedFirst = server.generator.generate("The capital of France is", GenerationOptions.builder()
                    .temperature(1.5).topK(6).seed(seed).maxNewTokens(1).build()).samples().get(0).tokens()[0];
            assertEquals(expectedFirst, chosen, "chosen_id is generate's first token");
            JsonNode intervals = draw.get("intervals");
            assertEquals(6, intervals.size(), "one interval per kept candidate: " + intervals);
            double total = 0;
            for (int i = 0; i < intervals.size(); i++) {
                JsonNode interval = intervals.get(i);
                JsonNode candidate = body.get("candidates").get(i);
                assertEquals(candidate.get("id").asInt(), interval.get("id").asInt(), "candidates' order");
                double from = interval.get("from").asDouble();
                double to = interval.get("to").asDouble();
                assertEquals(candidate.get("probability").asDouble(), to - from, 1e-6);
                total += to - from;
                assertEquals(interval.get("id").asInt() == chosen, from <= u && u < to,
                        "seed " + seed + ": u=" + u + " and [" + from + ", " + to + ") of " + interval);
                assertTrue(from >= 0 && to <= 1 + 1e-9 && from < to, interval.toString());
                for (int j = 0; j < i; j++) {                       // the intervals do not overlap (beyond rounding)
                    JsonNode other = intervals.get(j);
                    assertTrue(to <= other.get("from").asDouble() + 1e-12 || from >= other.get("to").asDouble() - 1e-12,
                            interval + " overlaps " + other);
                }
            }
            assertEquals(1.0, total, 1e-6, "top-k 6 keeps exactly these six");
        }
    }

    @Test
    void greedyHasNoDraw() throws Exception {
        JsonNode body = TestServer.json(server.post("/v1/next", "{\"prompt\": \"Hello\", \"temperature\": 0}"));
        assertTrue(body.has("draw") && body.get("draw").isNull(), body.toString());
    }

    @Test
    void servesThePageItsScriptsAndTheChartLibraryFromTheJar() throws Exception {
        HttpResponse<String> page = server.get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        for (String file : new String[] {"/main.js", "/api.js", "/options.js", "/distribution.js", "/draw.js",
                "/compare.js", "/generated.js", "/style.css"}) {
            assertEquals(200, server.get(file).statusCode(), file);
        }
        Matcher chart = Pattern.compile("src=\"(/webjars/chart\\.js/[^\"]+)\"").matcher(page.body());
        assertTrue(chart.find(), "index.html loads Chart.js from /webjars/");
        HttpResponse<String> library = server.get(chart.group(1));
        assertEquals(200, library.statusCode(), chart.group(1) + ": the WebJar's version must match index.html");
        assertTrue(library.body().contains("Chart"), "Chart.js' UMD bundle");
        assertEquals(404, server.get("/no-such-file.js").statusCode());
    }
}
