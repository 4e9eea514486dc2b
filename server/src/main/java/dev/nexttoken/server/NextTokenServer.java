package dev.nexttoken.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * The OpenAI-compatible HTTP server of {@code nexttoken serve}, on Javalin (Jetty):
 * {@code POST /v1/completions}, {@code GET /v1/models}, {@code POST /v1/next} (the next-token
 * table with each processor's effect), {@code POST /tokenize}, {@code POST /detokenize},
 * {@code GET /health} and {@code GET /metrics}, and the explorer page at {@code /} (static files
 * from the jar's {@code explorer/} folder, its chart library from a WebJar under
 * {@code /webjars/}). docs/SERVER.md describes every endpoint.
 *
 * <pre>{@code
 * try (NextTokenServer server = new NextTokenServer(Generator.loadDefault(), ServerConfig.builder().port(0).build(), true)) {
 *     server.start();
 *     System.out.println("listening on " + server.address());
 * }
 * }</pre>
 *
 * <p>Errors are OpenAI's error object, never a stack trace: bad requests 400, bodies over the
 * limit 413, a full queue 429 with {@code Retry-After}, a server shutting down 503, anything
 * unexpected 500 with a generic message (the exception goes to the log).
 *
 * <p>Concurrent completions are decoded together: {@link Admission} lets up to
 * {@code maxConcurrent} requests run (the rest wait or get 429), and one {@link DecodeScheduler}
 * thread steps all their generations in joint model calls (continuous batching).
 *
 * <p>{@link #close()} drains: new requests get 503 at once, running and queued generations
 * finish, then the scheduler thread and the HTTP server stop and the generator is closed (if the
 * server owns it).
 */
public final class NextTokenServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NextTokenServer.class);
    private static final Set<String> ENDPOINTS = Set.of("/v1/completions", "/v1/models", "/v1/next", "/tokenize",
            "/detokenize", "/health", "/metrics");
    /** How long {@link #close()} waits for running generations. */
    private static final long DRAIN_MILLIS = 10 * 60 * 1000L;
    /** How long stopping Jetty waits for responses still being written. */
    private static final long STOP_MILLIS = 30_000L;
    /** The most candidates {@code /v1/next} returns. */
    static final int MAX_TOP_N = 1000;

    private final Generator generator;
    private final ServerConfig config;
    private final boolean ownsGenerator;
    private final ServerMetrics metrics = new ServerMetrics();
    private final Admission admission;
    private final DecodeScheduler scheduler;
    private final CompletionsEndpoint completions;
    private final TokenizeEndpoints tokenize;
    private final NextTokenExplainer explainer;
    private final Javalin app;
    private volatile boolean draining;
    private boolean closed;

    /**
     * A server for {@code generator}; call {@link #start()}.
     *
     * @param generator     the model to serve
     * @param config        where to listen and the limits
     * @param ownsGenerator whether {@link #close()} closes the generator
     */
    public NextTokenServer(Generator generator, ServerConfig config, boolean ownsGenerator) {
        this.generator = generator;
        this.config = config;
        this.ownsGenerator = ownsGenerator;
        this.admission = new Admission(config.maxConcurrent(), config.queue());
        this.scheduler = new DecodeScheduler(generator, metrics);
        metrics.gauges(admission::queued, admission::running);
        this.completions = new CompletionsEndpoint(generator, config, admission, scheduler, metrics);
        this.tokenize = new TokenizeEndpoints(generator.tokenizer());
        this.explainer = new NextTokenExplainer(generator);
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.http.maxRequestSize = config.maxBodyBytes();
            cfg.http.compressionStrategy = CompressionStrategy.NONE;
            cfg.jetty.host = config.host();
            cfg.jetty.port = config.port();
            // the explorer page (index.html at /) and its chart library, both from the jar
            cfg.staticFiles.add("/explorer", Location.CLASSPATH);
            cfg.staticFiles.enableWebjars();
            // stop() waits for responses still being written (a drained request's last bytes);
            // Javalin puts its context inside this wrapper
            cfg.jetty.modifyServer(server -> {
                server.setHandler(new GracefulHandler());
                server.setStopTimeout(STOP_MILLIS);
            });
            cfg.routes.before(this::refuseWhileDraining);
            cfg.routes.get("/health", ctx -> json(ctx, "{\"status\":\"ok\"}"));
            cfg.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
            cfg.routes.get("/v1/models", ctx -> json(ctx, models()));
            cfg.routes.post("/v1/completions", ctx -> completions.handle(ctx, body(ctx)));
            cfg.routes.post("/v1/next", ctx -> json(ctx, next(body(ctx))));
            cfg.routes.post("/tokenize", ctx -> json(ctx, tokenize.tokenize(body(ctx))));
            cfg.routes.post("/detokenize", ctx -> json(ctx, tokenize.detokenize(body(ctx))));
            cfg.routes.after(ctx -> metrics.request(ENDPOINTS.contains(ctx.path()) ? ctx.path() : "other",
                    ctx.statusCode()));
            cfg.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e));
            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, switch (e.getStatus()) {
                case 404 -> ApiException.notFound(ctx.method().name(), ctx.path());
                case 413 -> ApiException.tooLarge(config.maxBodyBytes());
                default -> httpError(e);
            }));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, ApiException.internal());
            });
        });
    }

    /** Starts listening; returns when the server accepts requests. */
    public NextTokenServer start() {
        app.start();
        LOG.info("serving {} on {}", config.modelId(), address());
        return this;
    }

    /** @return the port the server listens on (the chosen one when configured with 0) */
    public int port() {
        return app.port();
    }

    /** @return {@code http://host:port} */
    public String address() {
        return "http://" + config.host() + ":" + port();
    }

    /** @return true once {@link #close()} has begun: new requests get 503 */
    public boolean isDraining() {
        return draining;
    }

    /** Prometheus text of the metrics, as {@code GET /metrics} gives it. */
    public String metricsText() {
        return metrics.scrape();
    }

    /**
     * Drains and stops: new requests get 503 from now on; running and queued generations finish
     * (up to 10 minutes); then the scheduler thread and the HTTP server stop and the generator is
     * closed if owned.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        draining = true;
        try {
            if (!admission.drain(DRAIN_MILLIS)) {
                LOG.warn("generations still running after {} ms; stopping anyway", DRAIN_MILLIS);
            }
            if (!scheduler.close(STOP_MILLIS)) {
                LOG.warn("the scheduler still runs after {} ms; stopping anyway", STOP_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        app.stop();
        if (ownsGenerator) {
            generator.close();
        }
        closed = true;
    }

    private void refuseWhileDraining(Context ctx) {
        if (draining && !ctx.path().equals("/metrics")) {
            throw ApiException.draining();
        }
    }

    private RequestFields body(Context ctx) {
        long length = ctx.req().getContentLengthLong();
        if (length > config.maxBodyBytes()) {
            throw ApiException.tooLarge(config.maxBodyBytes());
        }
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length > config.maxBodyBytes()) {
            throw ApiException.tooLarge(config.maxBodyBytes());
        }
        return RequestFields.parse(new String(bytes, StandardCharsets.UTF_8));
    }

    private String models() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        ObjectNode model = data.addObject();
        model.put("id", config.modelId());
        model.put("object", "model");
        model.put("created", 0);
        model.put("owned_by", "nexttoken");
        model.put("max_model_len", generator.model().config().nPositions());
        return Json.write(root);
    }

    private String next(RequestFields fields) throws Exception {
        String model = Models.check(fields.string("model"), config);
        List<int[]> prompts = Prompts.read(fields.node("prompt"), generator.tokenizer(), config.maxPromptTokens());
        if (prompts.size() != 1) {
            throw ApiException.invalid("prompt", "/v1/next takes one prompt (a string or an array of token ids), got "
                    + prompts.size());
        }
        GenerationOptions.Builder options = GenerationOptions.builder();
        SamplingFields.apply(fields, options, generator.tokenizer().vocabSize());
        Integer topN = fields.integer("top_n", 1, MAX_TOP_N);
        int n = topN == null ? 10 : topN;
        GenerationOptions built = options.build();
        return Json.write(admission.run(() -> explainer.explain(model, prompts.get(0), built, n)));
    }

    private static void json(Context ctx, String body) {
        ctx.contentType("application/json").result(body);
    }

    private static ApiException httpError(HttpResponseException e) {
        return new ApiException(e.getStatus(), e.getMessage(), e.getStatus() < 500 ? ApiException.INVALID_REQUEST
                : "server_error", null, null, null);
    }

    private static void error(Context ctx, ApiException e) {
        ctx.status(e.status());
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", String.valueOf(e.retryAfterSeconds()));
        }
        json(ctx, Json.error(e));
    }
}
