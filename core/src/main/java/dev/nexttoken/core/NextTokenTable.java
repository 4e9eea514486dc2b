package dev.nexttoken.core;

import java.util.List;

/**
 * The distribution the next token is drawn from, for one prompt: the notebook's table.
 *
 * @param promptTokens the prompt's ids
 * @param candidates   the most likely tokens after the processors, most likely first, with the
 *                     raw lm_head logit, the processed logit and the probability
 * @param chosenId     the token {@code generate} would pick first with the same options and seed
 */
public record NextTokenTable(int[] promptTokens, List<TraceCandidate> candidates, int chosenId) {

    public NextTokenTable {
        promptTokens = promptTokens.clone();
        candidates = List.copyOf(candidates);
    }

    @Override
    public int[] promptTokens() {
        return promptTokens.clone();
    }

    /**
     * The table as the CLI's {@code next} prints it ({@link CandidateTable}): rank, id, quoted
     * token, logit, processed logit and probability, the chosen token marked with {@code <}.
     */
    @Override
    public String toString() {
        return CandidateTable.format(candidates, chosenId, "");
    }
}
