package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.NextTokenTable;
import dev.nexttoken.core.TraceCandidate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /v1/models}, {@code /tokenize}, {@code /detokenize}, {@code /health}, {@code /metrics}, {@code /v1/next}. */
class EndpointsTest {

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
    void modelsListsTheServedModel() throws Exception {
        JsonNode body = TestServer.json(server.get("/v1/models"));
        assertEquals("list", body.get("object").asText());
        assertEquals("nexttoken-default", body.get("data").get(0).get("id").asText());
        assertEquals("model", body.get("data").get(0).get("object").asText());
        assertEquals(256, body.get("data").get(0).get("max_model_len").asInt());
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() throws Exception {
        JsonNode tokens = TestServer.json(server.post("/tokenize", "{\"content\": \"Hello world\"}")).get("tokens");
        assertEquals("[15496,995]", tokens.toString());
        JsonNode pieces = TestServer.json(server.post("/tokenize",
                "{\"content\": \"Hello world\", \"with_pieces\": true}")).get("tokens");
        assertEquals(" world", pieces.get(1).get("piece").asText());
        assertEquals(995, pieces.get(1).get("id").asInt());
        assertEquals("Hello world", TestServer.json(server.post("/detokenize", "{\"tokens\": [15496, 995]}"))
                .get("content").asText());
    }

    @Test
    void tokenizeReadsSpecialTokensOnlyWhenAsked() throws Exception {
        assertEquals("[50256,15496]", TestServer.json(server.post("/tokenize",
                "{\"content\": \"Hello\", \"add_special\": true}")).get("tokens").toString());
        assertEquals("[15496,50256]", TestServer.json(server.post("/tokenize",
                "{\"content\": \"Hello<|endoftext|>\", \"parse_special\": true}")).get("tokens").toString());
        assertTrue(TestServer.json(server.post("/tokenize", "{\"content\": \"Hello<|endoftext|>\"}"))
                .get("tokens").size() > 2, "written as text by default");
    }

    @Test
    void nextTakesTokenIdsAndAnEmptyPromptAndIsGreedyAtTemperatureZero() throws Exception {
        JsonNode empty = TestServer.json(server.post("/v1/next", "{\"prompt\": \"\", \"top_n\": 3}"));
        assertEquals("[50256]", empty.get("prompt_tokens").toString());
        JsonNode ids = TestServer.json(server.post("/v1/next",
                "{\"prompt\": [464, 3139], \"temperature\": 0, \"top_n\": 4}"));
        assertEquals("[464,3139]", ids.get("prompt_tokens").toString());
        assertEquals("GreedySampler", ids.get("sampler").asText());
        assertEquals(0, ids.get("processors").size());
        JsonNode best = ids.get("candidates").get(0);
        assertEquals(best.get("id").asInt(), ids.get("chosen_id").asInt());
        assertTrue(best.get("chosen").asBoolean());
        assertEquals(0, best.get("stages").size());
        assertEquals(best.get("probability_t1").asDouble(), best.get("probability").asDouble(), 1e-9);
    }

    @Test
    void healthSaysOk() throws Exception {
        HttpResponse<String> response = server.get("/health");
        assertEquals(200, response.statusCode());
        assertEquals("ok", TestServer.json(response).get("status").asText());
    }

    @Test
    void metricsCountRequestsAndTokens() throws Exception {
        double before = server.metric("nexttoken_tokens_generated_total");
        double firstTokens = server.metric("nexttoken_time_to_first_token_seconds_count");
        double steps = server.metric("nexttoken_time_per_token_seconds_count");
        server.post("/v1/completions", "{\"prompt\": \"Hi\", \"max_tokens\": 5, \"ignore_eos\": true}");
        assertEquals(firstTokens + 1, server.metric("nexttoken_time_to_first_token_seconds_count"));
        assertEquals(steps + 4, server.metric("nexttoken_time_per_token_seconds_count"));
        server.post("/v1/completions", "{\"prompt\": \"Hi\", \"n\": 0}");
        HttpResponse<String> response = server.get("/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String text = response.body();
        assertEquals(before + 5, server.metric("nexttoken_tokens_generated_total"));
        assertTrue(text.contains("nexttoken_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"), text);
        assertTrue(text.contains("nexttoken_requests_total{endpoint=\"/v1/completions\",status=\"400\"}"), text);
        assertTrue(text.contains("nexttoken_time_to_first_token_seconds_bucket"), text);
        assertTrue(text.contains("nexttoken_time_per_token_seconds_bucket"), text);
        assertTrue(text.contains("nexttoken_queue_length"), text);
        assertTrue(server.metric("nexttoken_tokens_prompted_total") >= 1);
    }

    @Test
    void nextGivesTheLibrarysTableWithEachProcessorsEffect() throws Exception {
        HttpResponse<String> response = server.post("/v1/next", """
                {"prompt": "The capital of France is", "temperature": 0.7, "top_k": 3, "top_n": 5, "seed": 9}""");
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = TestServer.json(response);
        assertEquals("next_token_table", body.get("object").asText());
        assertEquals("[\"TemperatureProcessor(temperature=0.7)\",\"TopKProcessor(k=3)\"]",
                body.get("processors").toString());
        GenerationOptions options = GenerationOptions.builder().temperature(0.7).topK(3).seed(9).build();
        NextTokenTable table = server.generator.next("The capital of France is", options, 5);
        assertEquals(table.chosenId(), body.get("chosen_id").asInt());
        assertArrayEquals(table.promptTokens(), Json.MAPPER.convertValue(body.get("prompt_tokens"), int[].class));
        List<TraceCandidate> expected = table.candidates();
        JsonNode candidates = body.get("candidates");
        assertEquals(5, candidates.size());
        double sumT1 = 0;
        for (int i = 0; i < 5; i++) {
            JsonNode c = candidates.get(i);
            TraceCandidate e = expected.get(i);
            assertEquals(e.id(), c.get("id").asInt());
            assertEquals(e.token(), c.get("token").asText());
            assertEquals(e.rawLogit(), c.get("logit").asDouble(), 1e-6);
            assertEquals(e.probability(), c.get("probability").asDouble(), 1e-9);
            JsonNode stages = c.get("stages");
            assertEquals(2, stages.size());
            assertEquals((float) (e.rawLogit() / 0.7), (float) stages.get(0).get("logit").asDouble(), 1e-4);
            if (i < 3) {
                assertEquals(e.processedLogit(), stages.get(1).get("logit").asDouble(), 1e-6);
                assertTrue(c.get("removed_by").isNull());
            } else {
                assertTrue(stages.get(1).get("logit").isNull(), "removed by top-k: " + c);
                assertEquals("TopKProcessor(k=3)", c.get("removed_by").asText());
                assertEquals(0.0, c.get("probability").asDouble());
            }
            assertEquals(e.id() == table.chosenId(), c.get("chosen").asBoolean());
            sumT1 += c.get("probability_t1").asDouble();
            assertTrue(c.get("probability_t1").asDouble() > 0);
        }
        assertTrue(sumT1 < 1.0);
        // at temperature 1 the first candidate's probability_t1 is the softmax of the raw logits
        JsonNode plain = TestServer.json(server.post("/v1/next",
                "{\"prompt\": \"The capital of France is\", \"top_n\": 1}")).get("candidates").get(0);
        assertEquals(plain.get("probability").asDouble(), plain.get("probability_t1").asDouble(), 1e-6);
    }
}
