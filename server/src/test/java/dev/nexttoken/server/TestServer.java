package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.Generator;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A running server on an ephemeral port over the embedded default model, and a raw HTTP client
 * for it (Java's {@link HttpClient}), for the API tests.
 */
final class TestServer implements AutoCloseable {

    final Generator generator;
    final NextTokenServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    TestServer(ServerConfig.Builder config) {
        generator = Generator.loadDefault();
        server = new NextTokenServer(generator, config.port(0).modelId("nexttoken-default").build(), true);
        server.start();
    }

    TestServer() {
        this(ServerConfig.builder());
    }

    URI uri(String path) {
        return URI.create(server.address() + path);
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        return Json.MAPPER.readTree(response.body());
    }

    /** The value of a Prometheus sample line starting with {@code prefix}, or 0 when absent. */
    double metric(String prefix) {
        for (String line : server.metricsText().split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    @Override
    public void close() {
        server.close();
    }
}
