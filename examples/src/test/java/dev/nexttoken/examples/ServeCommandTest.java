package dev.nexttoken.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nexttoken serve} in a JVM of its own: it prints its address when ready, serves, and on
 * SIGTERM lets the running request finish, then exits 0.
 */
class ServeCommandTest {

    private static final long TIMEOUT_SECONDS = 120;

    @Test
    void servesPrintsItsAddressAndDrainsOnSigterm() throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-Dorg.bytedeco.javacpp.maxbytes=0",
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=0", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), NextTokenCli.class.getName(),
                "serve", "--port", "0", "--max-concurrent", "1");
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        builder.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        BlockingQueue<String> lines = ChildOutput.start(process).lines();
        try {
            String ready = lines.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(ready, "serve printed no address");
            Matcher address = Pattern.compile("nexttoken serve: listening on (http://127\\.0\\.0\\.1:\\d+)"
                    + " \\(model nexttoken-default\\)").matcher(ready);
            assertTrue(address.matches(), ready);
            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create(address.group(1));
            assertEquals(200, http.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            CompletableFuture<HttpResponse<String>> running = http.sendAsync(
                    HttpRequest.newBuilder(base.resolve("/v1/completions")).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"prompt\": \"Hello\", \"max_tokens\": 100, \"ignore_eos\": true}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!metrics(http, base).contains("nexttoken_generations_running 1.0")) {
                assertTrue(System.nanoTime() < deadline, "the request never started");
                Thread.sleep(5);
            }
            process.destroy();                                                     // SIGTERM
            HttpResponse<String> finished = running.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertEquals(200, finished.statusCode(), finished.body());
            assertTrue(finished.body().contains("\"completion_tokens\":100"), finished.body());
            assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "serve did not exit");
            assertEquals(0, process.exitValue());
        } finally {
            process.destroyForcibly();
        }
    }

    private static String metrics(HttpClient http, URI base) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
