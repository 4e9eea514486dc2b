package dev.nexttoken.sampling;

/**
 * One row of a next-token table: a token with its logit as the model gave it, its logit after the
 * processor chain, and its probability in the distribution the sampler draws from
 * ({@code softmax} of the processed logits; 0 for removed tokens).
 *
 * <p>At temperature 0 (greedy decoding) the probability is the softmax of the processed logits
 * without temperature; the sampler takes the most probable token.
 *
 * @param id the token id
 * @param rawLogit the model's logit
 * @param processedLogit the logit after the processors ({@code -inf} when removed)
 * @param probability the final probability
 */
public record Candidate(int id, float rawLogit, float processedLogit, double probability) {
}
