package dev.nexttoken.server;

import dev.nexttoken.core.Generator;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;

/**
 * {@code POST /v1/completions}: checks the request ({@link CompletionRequest}), waits for a
 * slot ({@link Admission}), runs it ({@link CompletionRunner}, on the {@link DecodeScheduler}) and answers
 * with OpenAI's {@code text_completion} object, or with Server-Sent Events for
 * {@code stream: true}.
 */
final class CompletionsEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(CompletionsEndpoint.class);

    private final Generator generator;
    private final ServerConfig config;
    private final Admission admission;
    private final CompletionRunner runner;

    CompletionsEndpoint(Generator generator, ServerConfig config, Admission admission, DecodeScheduler scheduler,
            ServerMetrics metrics) {
        this.generator = generator;
        this.config = config;
        this.admission = admission;
        this.runner = new CompletionRunner(generator, scheduler, metrics);
    }

    void handle(Context ctx, RequestFields fields) throws Exception {
        long start = System.nanoTime();
        CompletionRequest request = CompletionRequest.parse(fields, config, generator.tokenizer());
        CompletionJson json = new CompletionJson("cmpl-" + UUID.randomUUID().toString().replace("-", ""),
                System.currentTimeMillis() / 1000, request.model());
        int choices = request.prompts().size() * request.n();
        if (!request.stream()) {
            CompletionCollector collector = new CompletionCollector(choices, request.logprobs() != null);
            CompletionRunner.Usage usage = admission.run(() -> runner.run(request, collector, start));
            ctx.contentType("application/json").result(Json.write(collector.response(json, usage)));
            return;
        }
        admission.run(() -> {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream;charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            OutputStream out = ctx.res().getOutputStream();
            SseCompletionWriter writer = new SseCompletionWriter(out, json, request.includeUsage());
            try {
                writer.end(runner.run(request, writer, start));
            } catch (IOException clientGone) {
                // the runner has cancelled the generation; nobody is left to answer
            } catch (RuntimeException e) {
                if (!ctx.res().isCommitted()) {
                    throw e;                    // nothing sent yet: the exception handler answers with a status
                }
                // the events have begun: end the stream with an error event, as vLLM does
                LOG.error("POST /v1/completions failed while streaming", e);
                writer.fail(ApiException.internal());
            }
            return null;
        });
    }
}
