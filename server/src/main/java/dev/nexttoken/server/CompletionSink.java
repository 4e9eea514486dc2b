package dev.nexttoken.server;

import java.io.IOException;

/**
 * Where {@link CompletionRunner} sends a completion as it is made: the collected JSON response
 * ({@link CompletionCollector}) or Server-Sent Events ({@link SseCompletionWriter}). Choice
 * {@code i} is sample {@code i % n} of prompt {@code i / n}, as OpenAI numbers them.
 */
interface CompletionSink {

    /**
     * More text of one choice.
     *
     * @param choice   the choice index
     * @param text     the text (may be empty while the decoder waits for the rest of a character)
     * @param logprobs the log-probabilities of the tokens of this text, or null when not asked for
     * @throws IOException if the client is gone: the runner then cancels the generation
     */
    void text(int choice, String text, Logprobs logprobs) throws IOException;

    /**
     * One choice has ended.
     *
     * @param choice the choice index
     * @param reason {@code length} or {@code stop}
     * @throws IOException if the client is gone
     */
    void finish(int choice, String reason) throws IOException;
}
