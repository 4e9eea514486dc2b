package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /v1/completions} against a running server: shapes, options, streaming, determinism. */
class CompletionsTest {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static final String PROMPT = "Once upon a time";

    private GenerationOptions sameOptions(int maxTokens, long seed) {
        return GenerationOptions.builder().temperature(0.9).topK(40).topP(0.95).maxNewTokens(maxTokens).seed(seed)
                .build();
    }

    @Test
    void completionHasOpenAisShapeAndMatchesGenerateInProcess() throws Exception {
        HttpResponse<String> response = server.post("/v1/completions", """
                {"model": "nexttoken-default", "prompt": "Once upon a time", "max_tokens": 12,
                 "temperature": 0.9, "top_k": 40, "top_p": 0.95, "seed": 42}""");
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = TestServer.json(response);
        assertTrue(body.get("id").asText().startsWith("cmpl-"));
        assertEquals("text_completion", body.get("object").asText());
        assertEquals("nexttoken-default", body.get("model").asText());
        assertTrue(body.get("created").asLong() > 1_600_000_000L);
        JsonNode choice = body.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertTrue(choice.get("logprobs").isNull());

        GenerationResult expected = server.generator.generate(PROMPT, sameOptions(12, 42));
        assertEquals(expected.text(), choice.get("text").asText());
        assertEquals(expected.samples().get(0).finishReason() == dev.nexttoken.core.FinishReason.LENGTH
                ? "length" : "stop", choice.get("finish_reason").asText());
        JsonNode usage = body.get("usage");
        assertEquals(server.generator.tokenizer().encode(PROMPT).length, usage.get("prompt_tokens").asInt());
        assertEquals(expected.samples().get(0).tokens().length, usage.get("completion_tokens").asInt());
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
    }

    @Test
    void streamedTextIsTheSameAsGenerateInProcess() throws Exception {
        HttpResponse<String> response = server.post("/v1/completions", """
                {"prompt": "Once upon a time", "max_tokens": 12, "temperature": 0.9, "top_k": 40,
                 "top_p": 0.95, "seed": 42, "stream": true, "stream_options": {"include_usage": true}}""");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> chunks = SseEvents.parse(response.body());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (JsonNode chunk : chunks.subList(0, chunks.size() - 1)) {
            assertEquals("text_completion", chunk.get("object").asText());
            JsonNode choice = chunk.get("choices").get(0);
            text.append(choice.get("text").asText());
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
            assertTrue(chunk.get("usage").isNull(), "usage only in the last chunk");
        }
        GenerationResult expected = server.generator.generate(PROMPT, sameOptions(12, 42));
        assertEquals(expected.text(), text.toString());
        assertEquals(expected.samples().get(0).finishReason() == dev.nexttoken.core.FinishReason.LENGTH
                ? "length" : "stop", finish);
        JsonNode last = chunks.get(chunks.size() - 1);
        assertEquals(0, last.get("choices").size());
        assertEquals(expected.samples().get(0).tokens().length, last.get("usage").get("completion_tokens").asInt());
        // one event per token, each "data: {...}" followed by a blank line, then [DONE]
        assertTrue(chunks.size() >= expected.samples().get(0).tokens().length / 2);
        assertTrue(response.body().endsWith("data: [DONE]\n\n"), response.body());
    }

    @Test
    void greedyIsDeterministicAndSeedsChangeSampledText() throws Exception {
        String greedy = """
                {"prompt": "The meaning of life is", "max_tokens": 10, "temperature": 0}""";
        String a = TestServer.json(server.post("/v1/completions", greedy)).get("choices").get(0).get("text").asText();
        String b = TestServer.json(server.post("/v1/completions", greedy)).get("choices").get(0).get("text").asText();
        assertEquals(a, b);
        assertEquals(server.generator.generate("The meaning of life is", GenerationOptions.greedy().toBuilder()
                .maxNewTokens(10).build()).text(), a);
        List<String> texts = new ArrayList<>();
        for (int seed = 1; seed <= 3; seed++) {
            texts.add(TestServer.json(server.post("/v1/completions", "{\"prompt\": \"The meaning of life is\","
                    + " \"max_tokens\": 10, \"temperature\": 1.5, \"seed\": " + seed + "}"))
                    .get("choices").get(0).get("text").asText());
        }
        assertFalse(texts.get(0).equals(texts.get(1)) && texts.get(1).equals(texts.get(2)), texts.toString());
    }

    @Test
    void severalPromptsAndSamplesAreNumberedAsOpenAiDoes() throws Exception {
        JsonNode body = TestServer.json(server.post("/v1/completions", """
                {"prompt": [[15496], [464, 3139]], "n": 2, "max_tokens": 5, "seed": 3, "ignore_eos": true}"""));
        JsonNode choices = body.get("choices");
        assertEquals(4, choices.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, choices.get(i).get("index").asInt());
            assertEquals("length", choices.get(i).get("finish_reason").asText());
        }
        assertEquals(20, body.get("usage").get("completion_tokens").asInt());
        assertEquals(1 + 2, body.get("usage").get("prompt_tokens").asInt());
        GenerationResult second = server.generator.generate(new int[] {464, 3139}, GenerationOptions.builder()
                .temperature(1).topK(0).numSamples(2).maxNewTokens(5).seed(3).stopAtEndOfText(false).build());
        assertEquals(second.samples().get(1).text(), choices.get(3).get("text").asText());
    }

    @Test
    void echoLogprobsAndStop() throws Exception {
        JsonNode body = TestServer.json(server.post("/v1/completions", """
                {"prompt": "The cat sat on the", "max_tokens": 6, "temperature": 0, "logprobs": 3, "echo": true}"""));
        JsonNode choice = body.get("choices").get(0);
        assertTrue(choice.get("text").asText().startsWith("The cat sat on the"));
        JsonNode logprobs = choice.get("logprobs");
        int promptTokens = server.generator.tokenizer().encode("The cat sat on the").length;
        assertEquals(promptTokens + 6, logprobs.get("tokens").size());
        assertTrue(logprobs.get("token_logprobs").get(0).isNull(), "nothing predicts the first prompt token");
        double scored = -server.generator.score("The cat sat on the").tokenLosses()[0];
        assertEquals(scored, logprobs.get("token_logprobs").get(1).asDouble(), 1e-4);
        for (int i = promptTokens; i < promptTokens + 6; i++) {
            double lp = logprobs.get("token_logprobs").get(i).asDouble();
            assertTrue(lp <= 0, "a log-probability is <= 0: " + lp);
            JsonNode top = logprobs.get("top_logprobs").get(i);
            assertTrue(top.size() >= 1 && top.size() <= 4, top.toString());
            assertEquals(lp, top.get(logprobs.get("tokens").get(i).asText()).asDouble(), 1e-9,
                    "the chosen token is among top_logprobs");
            // greedy: the chosen token is the most likely one
            double best = top.fields().next().getValue().asDouble();
            assertEquals(best, lp, 1e-6);
            String token = logprobs.get("tokens").get(i).asText();
            // a token holding part of a character ("’" is 3 bytes) is shown as \xNN escapes, not found in the text
            if (!token.matches("(?s).*\\\\x[0-9a-f]{2}.*")) {
                assertEquals(choice.get("text").asText().indexOf(token, logprobs.get("text_offset").get(i).asInt()),
                        logprobs.get("text_offset").get(i).asInt());
            }
        }

        String full = TestServer.json(server.post("/v1/completions", """
                {"prompt": "The cat sat on the", "max_tokens": 30, "temperature": 0, "ignore_eos": true}"""))
                .get("choices").get(0).get("text").asText();
        String stop = full.substring(4, 6);
        JsonNode stopped = TestServer.json(server.post("/v1/completions", "{\"prompt\": \"The cat sat on the\","
                + " \"max_tokens\": 30, \"temperature\": 0, \"ignore_eos\": true, \"stop\": ["
                + Json.write(stop) + "]}")).get("choices").get(0);
        assertEquals("stop", stopped.get("finish_reason").asText());
        assertEquals(full.substring(0, full.indexOf(stop)), stopped.get("text").asText());
    }

    @Test
    void maxTokensZeroWithEchoScoresThePrompt() throws Exception {
        // how evaluation harnesses score a text: echo it, generate nothing, read the log-probabilities
        JsonNode body = TestServer.json(server.post("/v1/completions", """
                {"prompt": "A fool and his money", "max_tokens": 0, "echo": true, "logprobs": 0}"""));
        JsonNode choice = body.get("choices").get(0);
        assertEquals("A fool and his money", choice.get("text").asText());
        assertEquals("length", choice.get("finish_reason").asText());
        assertEquals(0, body.get("usage").get("completion_tokens").asInt());
        JsonNode values = choice.get("logprobs").get("token_logprobs");
        double[] losses = server.generator.score("A fool and his money").tokenLosses();
        assertEquals(losses.length + 1, values.size());
        double sum = 0;
        for (int i = 1; i < values.size(); i++) {
            sum += values.get(i).asDouble();
        }
        assertEquals(-server.generator.score("A fool and his money").loss() * losses.length, sum, 1e-3);
        assertEquals("[0,1,6,10,14]", choice.get("logprobs").get("text_offset").toString());
    }

    @Test
    void concurrentRequestsEachGetWhatTheyWouldGetAlone() throws Exception {
        List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> responses = new ArrayList<>();
        for (int seed = 0; seed < 4; seed++) {
            responses.add(server.http.sendAsync(java.net.http.HttpRequest.newBuilder(server.uri("/v1/completions"))
                    .header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once upon a time\","
                            + " \"max_tokens\": 12, \"temperature\": 0.9, \"top_k\": 40, \"top_p\": 0.95,"
                            + " \"seed\": " + seed + ", \"stream\": " + (seed % 2 == 0) + "}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()));
        }
        for (int seed = 0; seed < 4; seed++) {
            String body = responses.get(seed).get().body();
            String text;
            if (seed % 2 == 0) {
                StringBuilder streamed = new StringBuilder();
                SseEvents.parse(body).forEach(chunk -> streamed.append(chunk.get("choices").get(0).get("text").asText()));
                text = streamed.toString();
            } else {
                text = Json.MAPPER.readTree(body).get("choices").get(0).get("text").asText();
            }
            assertEquals(server.generator.generate(PROMPT, sameOptions(12, seed)).text(), text, "seed " + seed);
        }
    }

    @Test
    void penaltiesBiasAndExtensionsReachTheSampler() throws Exception {
        // a bias of +100 on one token makes it the only choice
        JsonNode biased = TestServer.json(server.post("/v1/completions", """
                {"prompt": "Hello", "max_tokens": 3, "seed": 1, "logit_bias": {"13": 100}, "ignore_eos": true}"""));
        assertEquals("...", biased.get("choices").get(0).get("text").asText());
        JsonNode body = TestServer.json(server.post("/v1/completions", """
                {"prompt": "Hello", "max_tokens": 8, "seed": 1, "presence_penalty": 1.5, "frequency_penalty": 0.5,
                 "repetition_penalty": 1.3, "top_k": 20, "min_p": 0.05, "typical_p": 0.9, "min_tokens": 8,
                 "user": "someone"}"""));
        GenerationResult expected = server.generator.generate("Hello", GenerationOptions.builder().temperature(1)
                .topK(20).presencePenalty(1.5).frequencyPenalty(0.5).repetitionPenalty(1.3).minP(0.05).typicalP(0.9)
                .minNewTokens(8).maxNewTokens(8).seed(1).build());
        assertEquals(expected.text(), body.get("choices").get(0).get("text").asText());
        assertEquals(8, body.get("usage").get("completion_tokens").asInt());
        assertNotEquals("", expected.text());
    }
}
