package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The queue limit (429), cancellation when a client disconnects mid-stream, and drain on shutdown (503). */
class ConcurrencyTest {

    /** A streamed request that would run for minutes: only a disconnect ends it early. */
    private static final String ENDLESS = """
            {"prompt": "Once upon a time", "max_tokens": 100000, "ignore_eos": true, "stream": true}""";

    @Test
    void aFullQueueGets429AndADisconnectCancelsTheGeneration() throws Exception {
        try (TestServer server = new TestServer(ServerConfig.builder().maxConcurrent(1).queue(0)
                .maxTokensLimit(100000))) {
            try (Socket socket = server.openStream(ENDLESS)) {
                BufferedReader in = TestServer.reader(socket);
                int events = 0;
                for (String line = in.readLine(); line != null && events < 3; line = in.readLine()) {
                    if (line.startsWith("data: {")) {
                        events++;
                    }
                }
                assertEquals(3, events, "the stream has begun");
                assertEquals(1, server.metric("nexttoken_generations_running"));

                HttpResponse<String> refused = server.post("/v1/completions", "{\"prompt\": \"x\"}");
                assertEquals(429, refused.statusCode(), refused.body());
                assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
                JsonNode error = TestServer.json(refused).get("error");
                assertEquals("queue_full", error.get("code").asText());
                assertTrue(error.get("message").asText().startsWith("The server is busy: 1 generations are running"
                        + " and the queue of 0 is full"), error.toString());
                assertEquals(0, server.metric("nexttoken_generations_cancelled_total"));
            }
            // the socket is closed: the next writes fail and the generation stops before its next step
            TestServer.waitFor(() -> server.metric("nexttoken_generations_cancelled_total") == 1, "the generation is cancelled");
            TestServer.waitFor(() -> server.metric("nexttoken_generations_running") == 0, "the slot is free again");
            double generated = server.metric("nexttoken_tokens_generated_total");
            assertTrue(generated >= 3 && generated < 1000, "it stopped soon after the disconnect: " + generated
                    + " of 100000 tokens");
            HttpResponse<String> after = server.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}");
            assertEquals(200, after.statusCode(), after.body());
        }
    }

    @Test
    void closeDrainsRunningRequestsAndRefusesNewOnesWith503() throws Exception {
        TestServer server = new TestServer(ServerConfig.builder().maxConcurrent(1).queue(2));
        try {
            CompletableFuture<HttpResponse<String>> running = server.http.sendAsync(
                    HttpRequest.newBuilder(server.uri("/v1/completions")).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"prompt\": \"Hello\", \"max_tokens\": 120, \"ignore_eos\": true}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            TestServer.waitFor(() -> server.metric("nexttoken_generations_running") == 1, "the first request runs");

            Thread closer = new Thread(server::close, "closer");
            closer.start();
            TestServer.waitFor(server.server::isDraining, "the server drains");
            HttpResponse<String> refused = server.post("/v1/completions", "{\"prompt\": \"x\"}");
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("The server is shutting down and takes no new requests",
                    TestServer.json(refused).get("error").get("message").asText());

            HttpResponse<String> finished = running.get(60, TimeUnit.SECONDS);
            assertEquals(200, finished.statusCode(), finished.body());
            assertEquals(120, TestServer.json(finished).get("usage").get("completion_tokens").asInt());
            closer.join(60_000);
            assertFalse(closer.isAlive(), "close() returns once the running request has finished");
        } finally {
            server.close();
        }
    }

}
