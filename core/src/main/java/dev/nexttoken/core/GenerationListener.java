package dev.nexttoken.core;

/**
 * Receives text as it is generated. Called on the generating thread, in order; pieces are
 * whole UTF-8 characters, and text that may turn into a stop string is held back until it is
 * known not to. Concatenating a sample's pieces gives exactly its final text.
 */
@FunctionalInterface
public interface GenerationListener {

    /**
     * @param sample  index of the sample in the batch
     * @param tokenId the token just chosen
     * @param text    new text now safe to show (may be empty)
     */
    void onToken(int sample, int tokenId, String text);

    /** Called once per sample when it ends, with the text still held back (may be empty). */
    default void onFinish(int sample, FinishReason reason, String remainingText) {
    }
}
