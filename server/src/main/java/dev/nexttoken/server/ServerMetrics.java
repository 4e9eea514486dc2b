package dev.nexttoken.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics (Micrometer): requests by endpoint and status, tokens prompted
 * and generated (a cancelled generation's tokens too), generations cancelled by a client that went
 * away, time to first token and time per further model step of a request (histograms), and the
 * queue length and running generations (gauges), and how many generations the scheduler stepped
 * together per step ({@code nexttoken_batch_size}, a histogram).
 * {@link #scrape()} is the text {@code GET /metrics} returns.
 */
final class ServerMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter generated;
    private final Counter prompted;
    private final Counter cancelled;
    private final Timer firstToken;
    private final Timer perToken;
    private final DistributionSummary batchSize;

    ServerMetrics() {
        generated = Counter.builder("nexttoken.tokens.generated").description("Tokens generated").register(registry);
        prompted = Counter.builder("nexttoken.tokens.prompted").description("Prompt tokens read").register(registry);
        cancelled = Counter.builder("nexttoken.generations.cancelled")
                .description("Generations stopped because the client disconnected").register(registry);
        firstToken = Timer.builder("nexttoken.time.to.first.token")
                .description("From the request's arrival to its first generated token")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        perToken = Timer.builder("nexttoken.time.per.token")
                .description("Between two model steps of one request (its samples share a step)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        batchSize = DistributionSummary.builder("nexttoken.batch.size")
                .description("Generations stepped together per decode step of the scheduler")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(registry);
    }

    /** Registers the gauges of the executor. */
    void gauges(Supplier<Number> queueLength, Supplier<Number> running) {
        Gauge.builder("nexttoken.queue.length", queueLength).description("Requests waiting for a slot")
                .register(registry);
        Gauge.builder("nexttoken.generations.running", running).description("Requests holding a slot now (their generations in the batch)")
                .register(registry);
    }

    void request(String endpoint, int status) {
        Counter.builder("nexttoken.requests").description("HTTP requests by endpoint and status")
                .tag("endpoint", endpoint).tag("status", String.valueOf(status)).register(registry).increment();
    }

    void generated(int tokens) {
        generated.increment(tokens);
    }

    void prompted(int tokens) {
        prompted.increment(tokens);
    }

    void cancelled() {
        cancelled.increment();
    }

    double cancelledCount() {
        return cancelled.count();
    }

    double generatedCount() {
        return generated.count();
    }

    /** One step of the scheduler, of {@code generations} generations together. */
    void batchStep(int generations) {
        batchSize.record(generations);
    }

    void firstToken(long nanos) {
        firstToken.record(nanos, TimeUnit.NANOSECONDS);
    }

    void nextToken(long nanos) {
        perToken.record(nanos, TimeUnit.NANOSECONDS);
    }

    String scrape() {
        return registry.scrape();
    }
}
