package dev.nexttoken.core;

/**
 * One token handed out by a {@link TokenStream}.
 *
 * @param sample the sample's index in the batch
 * @param step   0-based index of the token within its sample
 * @param id     the token id, or {@code -1} for text released when a sample ends without a new token
 * @param text   the new text now safe to show (may be empty: half a character, or a possible stop string)
 */
public record GeneratedToken(int sample, int step, int id, String text) {
}
