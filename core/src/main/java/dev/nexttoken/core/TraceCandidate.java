package dev.nexttoken.core;

import dev.nexttoken.tokenizer.TokenText;
import java.util.Locale;

/**
 * One row of the notebook's next-token table.
 *
 * @param id             token id
 * @param token          its text as {@code Tokenizer.piece} gives it (broken UTF-8 bytes shown as
 *                       {@code \xNN}; line breaks and other control characters as they are, for
 *                       programs and JSON; {@link #toString()} escapes them)
 * @param rawLogit       the lm_head output
 * @param processedLogit after the processors (penalties, temperature, top-k, …); -inf if removed
 * @param probability    after softmax of the processed logits
 */
public record TraceCandidate(int id, String token, double rawLogit, double processedLogit, double probability) {

    /**
     * One line, the token quoted with control characters escaped ({@link TokenText#quote}), so
     * that a {@code "\n"} token prints as {@code "\n"} and not as a line break.
     */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "TraceCandidate[id=%d, token=%s, rawLogit=%s, processedLogit=%s,"
                + " probability=%s]", id, TokenText.quote(token), rawLogit, processedLogit, probability);
    }
}
