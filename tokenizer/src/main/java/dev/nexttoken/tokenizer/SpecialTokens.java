package dev.nexttoken.tokenizer;

/**
 * How {@link Tokenizer#encode(String, SpecialTokens)} treats the text {@code <|endoftext|>}.
 *
 * <p>The safe default is {@link #AS_TEXT}: a user's prompt that happens to contain the marker
 * cannot inject an end-of-text token into the model's input.
 */
public enum SpecialTokens {

    /** {@code <|endoftext|>} is ordinary text and is split into ordinary tokens (7 of them). */
    AS_TEXT,

    /** {@code <|endoftext|>} becomes the single end-of-text token, id 50256. */
    ALLOWED
}
