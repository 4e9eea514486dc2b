package dev.nexttoken.sampling;

/**
 * Greedy decoding: the token with the largest logit, {@code argmax_i x_i}; on ties the lowest id.
 * Draws no random numbers. This is what temperature 0 means; no division by zero happens anywhere.
 * Stateless and thread-safe.
 */
public final class GreedySampler implements Sampler {

    /** Creates the sampler (stateless). */
    public GreedySampler() {
    }

    /**
     * @param logits the processed logits of one sequence
     * @param random unused
     * @return the id of the largest logit, the lowest such id on ties
     * @throws SamplingException if the row contains NaN or every logit is {@code -inf}
     */
    @Override
    public int sample(float[] logits, RandomStream random) {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        boolean nan = false;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            if (v > bestValue) {
                bestValue = v;
                best = i;
            } else if (v != v) {
                nan = true;
            }
        }
        if (nan || best < 0) {
            Checks.requireSampleable(logits, "the logits given to the greedy sampler"); // throws the right error
        }
        return best;
    }

    @Override
    public String toString() {
        return "GreedySampler";
    }
}
