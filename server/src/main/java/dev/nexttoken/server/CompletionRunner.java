package dev.nexttoken.server;

import dev.nexttoken.core.FinishReason;
import dev.nexttoken.core.GeneratedToken;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.Sample;
import dev.nexttoken.core.TokenStream;
import dev.nexttoken.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.Map;

/**
 * Runs one completion request on the generator: one {@link Generator#stream} per prompt, each
 * token passed to a {@link CompletionSink} as it comes. The same options give the same tokens as
 * {@link Generator#generate} in-process: the only addition to the chain, {@link LogprobCapture}
 * (when logprobs are asked for), reads the logits without changing them.
 *
 * <p>Cancellation: the sink throws {@link IOException} when the client has gone; the runner then
 * cancels and closes the stream before the next model step, which frees its cache.
 */
final class CompletionRunner {

    private final Generator generator;
    private final ServerMetrics metrics;

    CompletionRunner(Generator generator, ServerMetrics metrics) {
        this.generator = generator;
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
        boolean first = true;
        long last = startNanos;
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
            int lastStep = -1;
            try (TokenStream tokens = generator.stream(prompt, options)) {
                while (tokens.hasNext()) {
                    GeneratedToken token = tokens.next();
                    long now = System.nanoTime();
                    if (token.id() >= 0 && token.step() > lastStep) {       // the first token of a model step
                        lastStep = token.step();
                        if (first) {
                            metrics.firstToken(now - startNanos);
                            first = false;
                        } else {
                            metrics.nextToken(now - last);
                        }
                        last = now;
                    }
                    Logprobs logprobs = null;
                    if (capture != null && token.id() >= 0) {
                        String piece = tokenizer.piece(token.id());
                        double logprob = capture.logprob(token.sample(), token.id());
                        // OpenAI's top_logprobs: the most likely tokens, and the chosen one when it is not among them
                        Map<String, Double> top = capture.top(token.sample(), request.logprobs(), tokenizer);
                        top.putIfAbsent(piece, logprob);
                        logprobs = new Logprobs();
                        logprobs.add(piece, logprob, top, textLength[token.sample()]);
                    }
                    textLength[token.sample()] += token.text().length();
                    try {
                        sink.text(base + token.sample(), token.text(), logprobs);
                    } catch (IOException e) {
                        tokens.cancel();
                        metrics.cancelled();
                        for (Sample sample : tokens.result().samples()) {
                            metrics.generated(sample.tokens().length);
                        }
                        throw e;
                    }
                }
                GenerationResult result = tokens.result();
                promptTokens += result.promptTokens().length;
                for (int i = 0; i < n; i++) {
                    Sample sample = result.samples().get(i);
                    completionTokens += sample.tokens().length;
                    metrics.generated(sample.tokens().length);
                    sink.finish(base + i, finishReason(sample.finishReason()));
                }
            }
            metrics.prompted(prompt.length);
        }
        return new Usage(promptTokens, completionTokens);
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
