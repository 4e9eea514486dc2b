package dev.nexttoken.core;

import java.util.Arrays;

/**
 * One generated continuation. A value: two samples are equal when text, tokens and reason are.
 *
 * @param text         the new text only (without the prompt; ends before a stop string)
 * @param tokens       the new token ids (without {@code <|endoftext|>} when it ended the sample)
 * @param finishReason why it ended
 */
public record Sample(String text, int[] tokens, FinishReason finishReason) {

    public Sample {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sample other && text.equals(other.text) && Arrays.equals(tokens, other.tokens)
                && finishReason == other.finishReason;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * text.hashCode() + Arrays.hashCode(tokens)) + finishReason.hashCode();
    }

    @Override
    public String toString() {
        return "Sample[text=" + text + ", tokens=" + Arrays.toString(tokens) + ", finishReason=" + finishReason + "]";
    }
}
