package dev.nexttoken.tokenizer;

/**
 * Turns token ids, fed one at a time as a model generates them, into text without ever
 * splitting a character. A token boundary can fall inside a UTF-8 character (GPT-2 writes most
 * emoji and many CJK characters as two or three tokens); this decoder holds such bytes back
 * until the character is complete.
 *
 * <p>Bytes that can never become valid UTF-8 are emitted as U+FFFD as soon as that is certain,
 * never held back. After {@link #flush()}, the concatenation of everything returned equals
 * {@link Tokenizer#decode(int[])} of all ids fed.
 *
 * <p>Not thread-safe: use one decoder per stream, from one thread at a time.
 *
 * <pre>{@code
 * StreamingDecoder decoder = tokenizer.newStreamingDecoder();
 * for (int id : generatedIds) {
 *     System.out.print(decoder.accept(id));
 * }
 * System.out.print(decoder.flush());
 * }</pre>
 */
public final class StreamingDecoder {

    private final Tokenizer tokenizer;
    private final Utf8Decoder utf8 = new Utf8Decoder(Utf8Decoder.InvalidBytes.REPLACE);
    private final StringBuilder out = new StringBuilder();

    StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Adds one token and returns the text it completes: its whole characters, preceded by any
     * character it finishes from earlier tokens. Returns {@code ""} while a character is still
     * incomplete.
     *
     * @param id a token id in [0, vocabulary size)
     * @return the newly complete text, possibly empty
     * @throws IllegalArgumentException if the id is outside the vocabulary (the state is unchanged)
     */
    public String accept(int id) {
        byte[] bytes = tokenizer.bytesOf(id);
        out.setLength(0);
        utf8.decode(bytes, out);
        return out.toString();
    }

    /**
     * Ends the stream: returns the bytes still held back, as U+FFFD since they never formed a
     * whole character (or {@code ""} if none), and resets the decoder for a new stream.
     *
     * @return the rest of the text, usually empty
     */
    public String flush() {
        out.setLength(0);
        utf8.finish(out);
        return out.toString();
    }

    /** The bytes held back because they may still become a character; for tests. */
    byte[] pendingBytes() {
        return utf8.pendingBytes();
    }
}
