package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.Generator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

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

    /**
     * Sends {@code body} to {@code POST /v1/completions} on a raw socket, whose reader the caller
     * reads as far as it likes; closing the socket is a client going away mid-stream.
     */
    Socket openStream(String body) throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        OutputStream out = socket.getOutputStream();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return socket;
    }

    /** A UTF-8 line reader of a socket's input. */
    static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Waits up to 20 s until {@code condition} holds, else fails naming {@code what}. */
    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
