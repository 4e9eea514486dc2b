package dev.nexttoken.core;

/**
 * How well the model predicts a text: the answer to "how do we know the scores are right?".
 *
 * @param tokens      the text's ids
 * @param loss        mean cross-entropy (nats) of predicting tokens 2…N from their prefixes
 * @param tokenLosses {@code -log p} of each of tokens 2…N ({@code tokens.length - 1} values)
 */
public record ScoreResult(int[] tokens, double loss, double[] tokenLosses) {

    public ScoreResult {
        tokens = tokens.clone();
        tokenLosses = tokenLosses.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public double[] tokenLosses() {
        return tokenLosses.clone();
    }

    /** {@code exp(loss)}. */
    public double perplexity() {
        return Math.exp(loss);
    }
}
