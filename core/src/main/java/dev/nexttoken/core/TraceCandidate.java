package dev.nexttoken.core;

/**
 * One row of the notebook's next-token table.
 *
 * @param id             token id
 * @param token          its text, for display (broken UTF-8 bytes shown as {@code \xNN})
 * @param rawLogit       the lm_head output
 * @param processedLogit after the processors (penalties, temperature, top-k, …); -inf if removed
 * @param probability    after softmax of the processed logits
 */
public record TraceCandidate(int id, String token, double rawLogit, double processedLogit, double probability) {
}
