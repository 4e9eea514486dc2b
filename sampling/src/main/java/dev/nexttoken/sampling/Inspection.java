package dev.nexttoken.sampling;

import java.util.List;

/**
 * How one sequence's next token was chosen at one step: the top candidates and the chosen one.
 *
 * @param chosenId the id the sampler chose
 * @param chosen the chosen token's candidate entry (also when it is not among {@code candidates})
 * @param candidates the top-N tokens, by processed logit descending (equivalently probability),
 *     then raw logit descending, then id ascending; removed tokens come last, best raw logit first
 */
public record Inspection(int chosenId, Candidate chosen, List<Candidate> candidates) {

    /**
     * @param chosenId the id the sampler chose
     * @param chosen the chosen token's entry
     * @param candidates the top-N tokens (copied into an unmodifiable list)
     */
    public Inspection {
        candidates = List.copyOf(candidates);
    }
}
