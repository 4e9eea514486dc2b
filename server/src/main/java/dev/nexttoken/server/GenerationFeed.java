package dev.nexttoken.server;

import dev.nexttoken.core.FinishReason;
import dev.nexttoken.core.GenerationListener;
import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Carries one generation's output from the scheduler thread, which steps it, to the HTTP thread
 * of its request, which writes it: the listener side collects each step's pieces of text (with
 * their log-probabilities, read from the {@link LogprobCapture} while that step's logits are
 * still there), {@link #publish} hands them over when the step is over, {@link #end} when the
 * generation has ended. The hand-over is an unbounded queue, so the scheduler never waits for a
 * client: a slow reader only lets its own steps pile up, at most {@code max_tokens} of them.
 */
final class GenerationFeed implements GenerationListener {

    /** Text of one sample: from the token {@code tokenId}, or released at its end ({@code -1}). */
    record Piece(int sample, int tokenId, String text, Logprobs logprobs) {
    }

    /**
     * What one step produced, published at {@code nanos} ({@link System#nanoTime()}); or, when
     * {@code end}, the generation's final result and the failure that ended it (or null).
     */
    record Step(List<Piece> pieces, long nanos, boolean end, GenerationResult result, RuntimeException failure) {
    }

    private final BlockingQueue<Step> steps = new LinkedBlockingQueue<>();
    private final List<Piece> pending = new ArrayList<>();
    private final LogprobCapture capture;
    private final int topLogprobs;
    private final Tokenizer tokenizer;
    private final int[] textLength;

    /**
     * @param capture     the generation's capture when logprobs are asked for, else null
     * @param topLogprobs how many top log-probabilities each token gets
     * @param tokenizer   to name the tokens of the log-probabilities
     * @param textOffsets each sample's text length before its first token (the echoed prompt)
     */
    GenerationFeed(LogprobCapture capture, int topLogprobs, Tokenizer tokenizer, int[] textOffsets) {
        this.capture = capture;
        this.topLogprobs = topLogprobs;
        this.tokenizer = tokenizer;
        this.textLength = textOffsets.clone();
    }

    @Override
    public void onToken(int sample, int tokenId, String text) {
        Logprobs logprobs = null;
        if (capture != null) {
            String piece = tokenizer.piece(tokenId);
            double logprob = capture.logprob(sample, tokenId);
            // OpenAI's top_logprobs: the most likely tokens, and the chosen one when it is not among them
            Map<String, Double> top = capture.top(sample, topLogprobs, tokenizer);
            top.putIfAbsent(piece, logprob);
            logprobs = new Logprobs();
            logprobs.add(piece, logprob, top, textLength[sample]);
        }
        textLength[sample] += text.length();
        pending.add(new Piece(sample, tokenId, text, logprobs));
    }

    @Override
    public void onFinish(int sample, FinishReason reason, String remainingText) {
        if (remainingText.isEmpty()) {
            return;
        }
        textLength[sample] += remainingText.length();
        for (int i = pending.size() - 1; i >= 0; i--) {
            Piece last = pending.get(i);
            if (last.sample() == sample) {
                // the sample's token of this step carries the released text, as one event
                pending.set(i, new Piece(sample, last.tokenId(), last.text() + remainingText, last.logprobs()));
                return;
            }
        }
        pending.add(new Piece(sample, -1, remainingText, null));
    }

    /** Hands this step's pieces over (scheduler thread, after the step). */
    void publish(long nanos) {
        if (!pending.isEmpty()) {
            steps.add(new Step(List.copyOf(pending), nanos, false, null, null));
            pending.clear();
        }
    }

    /** Hands the end over (scheduler thread, after the last step's {@link #publish}): the result or failure. */
    void end(GenerationResult result, RuntimeException failure) {
        publish(System.nanoTime());
        steps.add(new Step(List.of(), System.nanoTime(), true, result, failure));
    }

    /** The next step's output, waiting for it (HTTP thread). */
    Step take() throws InterruptedException {
        return steps.take();
    }
}
