package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Continuous batching through HTTP: requests running at the same time share the scheduler's
 * steps, and each still gets exactly what {@code Generator.generate} gives it alone, whatever
 * its options; one of them cancelled mid-stream leaves the others untouched.
 */
class BatchingTest {

    /** A request, and the options that give its text in-process (the server's top-k is off unless asked for). */
    private record Case(String body, boolean stream, GenerationOptions options) {
    }

    @Test
    void eightConcurrentRequestsShareStepsAndEachGetsWhatItWouldGetAlone() throws Exception {
        try (TestServer server = new TestServer(ServerConfig.builder().maxConcurrent(8).queue(8)
                .maxTokensLimit(100000))) {
            // the eighth: greedy and endless, streamed; its client reads a little, then goes away
            try (Socket socket = server.openStream("""
                    {"prompt": "The meaning of life is", "max_tokens": 100000, "temperature": 0,
                     "ignore_eos": true, "stream": true}""")) {
                BufferedReader in = TestServer.reader(socket);
                StringBuilder endlessText = new StringBuilder();
                int events = 0;
                for (String line = in.readLine(); line != null && events < 10; line = in.readLine()) {
                    if (line.startsWith("data: {")) {
                        events++;
                        endlessText.append(Json.MAPPER.readTree(line.substring(6)).get("choices").get(0).get("text")
                                .asText());
                    }
                }
                assertEquals(10, events, "the endless stream has begun");

                List<Case> cases = cases();
                List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
                for (Case c : cases) {
                    responses.add(server.http.sendAsync(HttpRequest.newBuilder(server.uri("/v1/completions"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(c.body())).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                for (int i = 0; i < cases.size(); i++) {
                    HttpResponse<String> response = responses.get(i).get(120, TimeUnit.SECONDS);
                    assertEquals(200, response.statusCode(), response.body());
                    GenerationResult alone = server.generator.generate(promptOf(cases.get(i)), cases.get(i).options());
                    List<String> texts = texts(response.body(), cases.get(i).stream(), alone.samples().size());
                    for (int s = 0; s < texts.size(); s++) {
                        assertEquals(alone.samples().get(s).text(), texts.get(s), "request " + i + " sample " + s
                                + ": " + cases.get(i).body());
                    }
                }
                // every one of them was decoded while the endless one ran: each of their steps was shared,
                // at least the 12 of the last (end-of-text ignored)
                double steps = server.metric("nexttoken_batch_size_count");
                double alone = server.metric("nexttoken_batch_size_bucket{le=\"1.0\"");
                assertTrue(steps - alone >= 12, "steps of two or more generations: " + (steps - alone)
                        + " of " + steps);
                assertTrue(server.metric("nexttoken_batch_size_max") >= 3, server.server.metricsText());
                assertEquals(0, server.metric("nexttoken_generations_cancelled_total"));

                String greedyAlone = server.generator.generate("The meaning of life is", GenerationOptions.builder()
                        .temperature(0).maxNewTokens(40).stopAtEndOfText(false).build()).text();
                assertTrue(greedyAlone.startsWith(endlessText.toString()),
                        "the endless one so far: " + endlessText + " / alone: " + greedyAlone);
            }
            // its client has gone: it is cancelled within a step and leaves the batch
            TestServer.waitFor(() -> server.metric("nexttoken_generations_cancelled_total") == 1, "the endless one is cancelled");
            TestServer.waitFor(() -> server.metric("nexttoken_generations_running") == 0, "every slot is free");
        }
    }

    private static List<Case> cases() {
        return List.of(
                new Case("""
                        {"prompt": "Once upon a time", "max_tokens": 20, "temperature": 0}""", false,
                        GenerationOptions.builder().temperature(0).maxNewTokens(20).build()),
                new Case("""
                        {"prompt": "Once upon a time", "max_tokens": 16, "temperature": 0.9, "top_k": 40,
                         "seed": 1, "stream": true}""", true,
                        GenerationOptions.builder().temperature(0.9).topK(40).maxNewTokens(16).seed(1).build()),
                new Case("""
                        {"prompt": "The weather today", "max_tokens": 40, "temperature": 1.0, "seed": 2,
                         "stop": [".", "\\n"]}""", false,
                        GenerationOptions.builder().temperature(1.0).topK(0).maxNewTokens(40).seed(2)
                                .stopStrings(List.of(".", "\n")).build()),
                new Case("""
                        {"prompt": "In the beginning", "max_tokens": 8, "temperature": 0.8, "top_p": 0.8,
                         "seed": 3, "n": 2, "stream": true}""", true,
                        GenerationOptions.builder().temperature(0.8).topK(0).topP(0.8).maxNewTokens(8).seed(3).numSamples(2)
                                .build()),
                new Case("""
                        {"prompt": "A fool and his money", "max_tokens": 30, "temperature": 0.7, "seed": 4,
                         "frequency_penalty": 0.5, "logprobs": 2}""", false,
                        GenerationOptions.builder().temperature(0.7).topK(0).maxNewTokens(30).seed(4).frequencyPenalty(0.5)
                                .build()),
                new Case("""
                        {"prompt": "It was a dark and stormy night", "max_tokens": 24, "temperature": 1.2,
                         "min_p": 0.05, "seed": 5, "stream": true}""", true,
                        GenerationOptions.builder().temperature(1.2).topK(0).minP(0.05).maxNewTokens(24).seed(5).build()),
                new Case("""
                        {"prompt": "1, 2, 3,", "max_tokens": 12, "temperature": 0, "ignore_eos": true,
                         "stream": true}""", true,
                        GenerationOptions.builder().temperature(0).maxNewTokens(12).stopAtEndOfText(false).build()));
    }

    private static String promptOf(Case c) throws Exception {
        return Json.MAPPER.readTree(c.body()).get("prompt").asText();
    }

    /** Each choice's text, from a JSON response or the concatenated SSE chunks. */
    private static List<String> texts(String body, boolean stream, int choices) throws Exception {
        StringBuilder[] texts = new StringBuilder[choices];
        for (int i = 0; i < choices; i++) {
            texts[i] = new StringBuilder();
        }
        List<JsonNode> choiceNodes = new ArrayList<>();
        if (stream) {
            for (JsonNode chunk : SseEvents.parse(body)) {
                chunk.get("choices").forEach(choiceNodes::add);
            }
        } else {
            Json.MAPPER.readTree(body).get("choices").forEach(choiceNodes::add);
        }
        for (JsonNode choice : choiceNodes) {
            texts[choice.get("index").asInt()].append(choice.get("text").asText());
        }
        List<String> out = new ArrayList<>();
        for (StringBuilder t : texts) {
            out.add(t.toString());
        }
        return out;
    }

}
