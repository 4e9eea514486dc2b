package dev.nexttoken.server;

import dev.nexttoken.core.FinishReason;
import dev.nexttoken.core.Generation;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.Sample;
import dev.nexttoken.tokenizer.Tokenizer;

import java.io.IOException;

/**
 * Runs one completion request, on its HTTP thread: one {@link Generation} per prompt (its
 * {@code n} samples together), each handed to the {@link DecodeScheduler}, which decodes it with
 * whatever else is running; its text comes back step by step through a {@link GenerationFeed}
 * and goes on to a {@link CompletionSink} (JSON or Server-Sent Events), so a slow client blocks
 * only this thread. The same options give the same tokens as {@link Generator#generate}
 * in-process: the only addition to the chain, {@link LogprobCapture} (when logprobs are asked
 * for), reads the logits without changing them.
 *
 * <p>Cancellation: the sink throws {@link IOException} when the client has gone; the runner then
 * cancels the generation, which leaves the batch at the scheduler's next step, freeing its cache.
 * A generation that failed ({@link Generation#failure()}) fails this request alone.
 */
final class CompletionRunner {

    private final Generator generator;
    private final DecodeScheduler scheduler;
    private final ServerMetrics metrics;

    CompletionRunner(Generator generator, DecodeScheduler scheduler, ServerMetrics metrics) {
        this.generator = generator;
        this.scheduler = scheduler;
        this.metrics = metrics;
    }

    /** Token counts of a finished request. */
    record Usage(int promptTokens, int completionTokens) {
    }

    /**
     * Runs the request.
     *
     * @param request   the checked request
     * @param sink      where the text goes
     * @param startNanos when the request arrived ({@link System#nanoTime()}), for time to first token
     * @return the token counts
     * @throws IOException if the client went away; the generation is cancelled
     */
    Usage run(CompletionRequest request, CompletionSink sink, long startNanos) throws IOException {
        Tokenizer tokenizer = generator.tokenizer();
        int n = request.n();
        int promptTokens = 0;
        int completionTokens = 0;
        StepClock clock = new StepClock(startNanos);
        for (int p = 0; p < request.prompts().size(); p++) {
            int[] prompt = request.prompts().get(p);
            int base = p * n;
            int[] textLength = new int[n];
            if (request.echo()) {
                String text = tokenizer.decode(prompt);
                Logprobs echoed = request.logprobs() == null ? null : promptLogprobs(prompt);
                for (int i = 0; i < n; i++) {
                    sink.text(base + i, text, echoed);
                    textLength[i] = text.length();
                }
            }
            LogprobCapture capture = request.logprobs() == null ? null : new LogprobCapture();
            GenerationOptions options = capture == null ? request.options()
                    : request.options().toBuilder().addProcessor(capture).build();
            GenerationFeed feed = new GenerationFeed(capture, request.logprobs() == null ? 0 : request.logprobs(),
                    tokenizer, textLength);
            Generation generation = generator.begin(prompt, options, feed);
            scheduler.submit(generation, feed);
            GenerationFeed.Step step = relay(generation, feed, sink, base, clock);
            if (step.failure() != null) {
                throw new IllegalStateException("the generation failed", step.failure());
            }
            GenerationResult result = step.result();
            promptTokens += result.promptTokens().length;
            for (int i = 0; i < n; i++) {
                Sample sample = result.samples().get(i);
                completionTokens += sample.tokens().length;
                metrics.generated(sample.tokens().length);
                sink.finish(base + i, finishReason(sample.finishReason()));
            }
            metrics.prompted(prompt.length);
        }
        return new Usage(promptTokens, completionTokens);
    }

    /**
     * Passes a generation's text to the sink step by step until it ends.
     *
     * @return the end: the result, or the failure that ended it
     * @throws IOException if the client went away; the generation is cancelled and has ended
     */
    private GenerationFeed.Step relay(Generation generation, GenerationFeed feed, CompletionSink sink, int base,
                                      StepClock clock) throws IOException {
        try {
            GenerationFeed.Step step;
            while (!(step = take(feed, generation)).end()) {
                boolean stepped = false;
                for (GenerationFeed.Piece piece : step.pieces()) {
                    stepped |= piece.tokenId() >= 0;
                    try {
                        sink.text(base + piece.sample(), piece.text(), piece.logprobs());
                    } catch (IOException e) {
                        generation.cancel();        // it leaves the batch at the next step, which frees its cache
                        metrics.cancelled();
                        for (Sample sample : awaitEnd(feed, generation).result().samples()) {
                            metrics.generated(sample.tokens().length);
                        }
                        throw e;
                    }
                }
                if (stepped) {                                    // a model step gave this request tokens
                    clock.step(step.nanos());
                }
            }
            return step;
        } finally {
            generation.cancel();            // a no-op once it has ended; else it must not run on, unread
        }
    }

    /** Times a request's model steps: the first from the request's arrival, each later one from the one before. */
    private final class StepClock {
        private final long start;
        private long last;
        private boolean first = true;

        StepClock(long startNanos) {
            this.start = startNanos;
        }

        void step(long nanos) {
            if (first) {
                metrics.firstToken(nanos - start);
                first = false;
            } else {
                metrics.nextToken(nanos - last);
            }
            last = nanos;
        }
    }

    /** The next step of {@code feed}; interrupted, the generation is cancelled and the interrupt kept. */
    private static GenerationFeed.Step take(GenerationFeed feed, Generation generation) {
        try {
            return feed.take();
        } catch (InterruptedException e) {
            generation.cancel();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the generation", e);
        }
    }

    /** Skips to the end of a cancelled generation (it comes within one step). */
    private static GenerationFeed.Step awaitEnd(GenerationFeed feed, Generation generation) {
        GenerationFeed.Step step;
        while (!(step = take(feed, generation)).end()) {
            // the text of steps the client will never read
        }
        return step;
    }

    /** The echoed prompt's log-probabilities: none for the first token, then each given its prefix. */
    private Logprobs promptLogprobs(int[] prompt) {
        Tokenizer tokenizer = generator.tokenizer();
        Logprobs logprobs = new Logprobs();
        double[] losses = prompt.length >= 2 ? generator.score(prompt).tokenLosses() : new double[0];
        int offset = 0;
        for (int i = 0; i < prompt.length; i++) {
            String piece = tokenizer.piece(prompt[i]);
            logprobs.add(piece, i == 0 ? null : -losses[i - 1], null, offset);
            offset += piece.length();
        }
        return logprobs;
    }

    /** OpenAI's names: {@code length}, or {@code stop} for a stop string and for end-of-text. */
    static String finishReason(FinishReason reason) {
        return switch (reason) {
            case LENGTH -> "length";
            case STOP, EOS -> "stop";
            case CANCELLED -> "cancelled";
        };
    }
}
