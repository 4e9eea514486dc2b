package dev.nexttoken.examples;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken load}: a load generator for a running {@code nexttoken serve} (or any
 * OpenAI-compatible completions server). {@code --clients} threads each send streamed
 * {@code POST /v1/completions} requests, one after another, until {@code --requests} have been
 * sent; every request asks for {@code --max-tokens} tokens with end-of-text ignored, sampled with
 * its own seed, so every run decodes the same number of tokens.
 *
 * <p>Reports the total tokens per second (completion tokens of all requests over the wall time),
 * the time to first token (from sending the request to its first text event) at p50 and p99, and
 * the per-token latency (between two text events of one request) at p50 and p99. Streaming is
 * what makes the first token measurable, as a user of a chat window sees it.
 */
@Command(name = "load",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Load-tests a running server: N concurrent streaming clients; tokens/s and time to first token.")
public final class LoadCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--server", paramLabel = "URL", required = true,
            description = "The server, e.g. http://127.0.0.1:8080.")
    URI server;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "8",
            description = "Concurrent clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--requests", paramLabel = "R",
            description = "Requests in all, shared by the clients (default: two per client).")
    Integer requests;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "64",
            description = "Tokens each request asks for (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "Once upon a time",
            description = "The prompt of every request (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--model-name", paramLabel = "ID",
            description = "The model field of the requests (default: none, which nexttoken serve accepts).")
    String modelName;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1",
            description = "Requests sent alone before measuring, not counted (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", description = "Print one JSON object with the measurements, and nothing else.")
    boolean json;

    /** What one load run measured; latencies in milliseconds. */
    @JsonPropertyOrder({"server", "clients", "requests", "max_tokens", "ok", "failed", "completion_tokens",
            "seconds", "tokens_per_s", "ttft_ms_p50", "ttft_ms_p99", "token_ms_p50", "token_ms_p99"})
    record Report(
            @JsonProperty("server") String server,
            @JsonProperty("clients") int clients,
            @JsonProperty("requests") int requests,
            @JsonProperty("max_tokens") int maxTokens,
            @JsonProperty("ok") int ok,
            @JsonProperty("failed") int failed,
            @JsonProperty("completion_tokens") long completionTokens,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("tokens_per_s") double tokensPerS,
            @JsonProperty("ttft_ms_p50") double ttftP50,
            @JsonProperty("ttft_ms_p99") double ttftP99,
            @JsonProperty("token_ms_p50") double tokenP50,
            @JsonProperty("token_ms_p99") double tokenP99) {
    }

    /** One request's timings, or its failure. */
    private record Outcome(boolean ok, String failure, int tokens, double ttftMs, List<Double> gapsMs) {
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || maxTokens < 1 || warmup < 0 || (requests != null && requests < 1)) {
            throw new BadArgumentException("--clients, --max-tokens and --requests must be >= 1, --warmup >= 0");
        }
        int total = requests == null ? 2 * clients : requests;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        for (int i = 0; i < warmup; i++) {
            Outcome o = send(http, -1 - i);
            if (!o.ok()) {
                spec.commandLine().getErr().println("warm-up request failed: " + o.failure());
                return ExitCodes.SOFTWARE;
            }
        }
        List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                for (int r = next.getAndIncrement(); r < total; r = next.getAndIncrement()) {
                    outcomes.add(send(http, r));
                }
            }, "load-client-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Report report = report(outcomes, total, seconds);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, report);
        } else {
            out.printf("%d clients, %d requests of %d tokens against %s: %d ok, %d failed%n", clients, total,
                    maxTokens, server, report.ok(), report.failed());
            out.printf("%d tokens in %.2f s = %.1f tokens/s%n", report.completionTokens(), seconds,
                    report.tokensPerS());
            out.printf("time to first token: p50 %.0f ms, p99 %.0f ms; per token: p50 %.1f ms, p99 %.1f ms%n",
                    report.ttftP50(), report.ttftP99(), report.tokenP50(), report.tokenP99());
            outcomes.stream().filter(o -> !o.ok()).map(Outcome::failure).distinct().limit(5)
                    .forEach(f -> out.println("failure: " + f));
            out.flush();
        }
        return report.failed() == 0 ? ExitCodes.OK : ExitCodes.SOFTWARE;
    }

    private Report report(List<Outcome> outcomes, int total, double seconds) {
        List<Double> ttft = new ArrayList<>();
        List<Double> gaps = new ArrayList<>();
        long tokens = 0;
        int ok = 0;
        for (Outcome o : outcomes) {
            if (o.ok()) {
                ok++;
                tokens += o.tokens();
                ttft.add(o.ttftMs());
                gaps.addAll(o.gapsMs());
            }
        }
        return new Report(server.toString(), clients, total, maxTokens, ok, outcomes.size() - ok, tokens, seconds,
                tokens / seconds, percentile(ttft, 50), percentile(ttft, 99), percentile(gaps, 50),
                percentile(gaps, 99));
    }

    /** Nearest-rank percentile; NaN for no values. */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /** Sends request {@code index} (its seed) and reads its events as they come. */
    private Outcome send(HttpClient http, int index) {
        ObjectNode body = MAPPER.createObjectNode();
        if (modelName != null) {
            body.put("model", modelName);
        }
        body.put("prompt", prompt);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0.8);
        body.put("top_k", 200);
        body.put("seed", index);
        body.put("ignore_eos", true);
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        HttpRequest request = HttpRequest.newBuilder(server.resolve("/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        long sent = System.nanoTime();
        try {
            HttpResponse<java.io.InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(),
                    StandardCharsets.UTF_8))) {
                if (response.statusCode() != 200) {
                    return new Outcome(false, "HTTP " + response.statusCode() + ": " + in.readLine(), 0, 0, List.of());
                }
                double ttft = Double.NaN;
                long last = 0;
                int tokens = -1;
                List<Double> gaps = new ArrayList<>();
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (!line.startsWith("data: {")) {
                        continue;
                    }
                    long now = System.nanoTime();
                    JsonNode event = MAPPER.readTree(line.substring("data: ".length()));
                    if (event.has("error")) {
                        return new Outcome(false, event.get("error").toString(), 0, 0, List.of());
                    }
                    JsonNode usage = event.get("usage");
                    if (usage != null && !usage.isNull()) {
                        tokens = usage.get("completion_tokens").asInt();
                    }
                    JsonNode choices = event.get("choices");
                    if (choices != null && !choices.isEmpty() && !choices.get(0).get("text").asText().isEmpty()) {
                        if (Double.isNaN(ttft)) {
                            ttft = (now - sent) / 1e6;
                        } else {
                            gaps.add((now - last) / 1e6);
                        }
                        last = now;
                    }
                }
                if (tokens < 0 || Double.isNaN(ttft)) {
                    return new Outcome(false, "the stream ended without text or usage", 0, 0, List.of());
                }
                return new Outcome(true, null, tokens, ttft, gaps);
            }
        } catch (IOException e) {
            return new Outcome(false, e.toString(), 0, 0, List.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "interrupted", 0, 0, List.of());
        }
    }
}
