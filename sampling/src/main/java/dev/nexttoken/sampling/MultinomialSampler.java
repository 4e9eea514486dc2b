package dev.nexttoken.sampling;

/**
 * Draws a token from {@code p = softmax(x)} (see {@link Softmax}) by inverse transform sampling:
 * with one uniform {@code u} in {@code [0, 1)} from the sequence's stream, the chosen id is the
 * first {@code i} with {@code w_0 + ... + w_i > u * W}, where {@code w_i = exp(x_i - max x)} and
 * {@code W = sum_i w_i}. Tokens with logit {@code -inf} have weight 0 and are never chosen; if some
 * logits are {@code +inf}, one of them is chosen uniformly. One random number per draw.
 *
 * <p>No weight array is allocated: a first pass sums the weights (in double), a second pass
 * recomputes them (bit for bit) until the cumulative sum passes the target. After top-k only a few hundred
 * logits are finite and both passes cost microseconds; a full vocabulary row costs far more, an
 * exponential per entry in each pass. Stateless and thread-safe.
 */
public final class MultinomialSampler implements Sampler {

    /** Creates the sampler (stateless). */
    public MultinomialSampler() {
    }

    /**
     * @param logits the processed logits of one sequence
     * @param random the sequence's random stream; one {@code nextDouble()} is drawn
     * @return the drawn id
     * @throws SamplingException if the row contains NaN or every logit is {@code -inf}
     */
    @Override
    public int sample(float[] logits, RandomStream random) {
        float max = Checks.requireSampleable(logits, "the logits given to the multinomial sampler");
        double u = random.nextDouble();
        if (max == Float.POSITIVE_INFINITY) {
            int count = 0;
            for (float v : logits) {
                if (v == Float.POSITIVE_INFINITY) {
                    count++;
                }
            }
            int pick = (int) (u * count);
            for (int i = 0; i < logits.length; i++) {
                if (logits[i] == Float.POSITIVE_INFINITY && pick-- == 0) {
                    return i;
                }
            }
        }
        double total = Softmax.sumExp(logits, max);
        double target = u * total;
        double cumulative = 0.0;
        if (Softmax.mostlyFinite(logits)) {
            for (int i = 0; i < logits.length; i++) {
                cumulative += Math.exp((double) logits[i] - max); // a -inf entry adds 0 and cannot cross
                if (cumulative > target) {
                    return i;
                }
            }
        } else {
            for (int i = 0; i < logits.length; i++) {
                float v = logits[i];
                if (v != Float.NEGATIVE_INFINITY) {
                    cumulative += Math.exp((double) v - max);
                    if (cumulative > target) {
                        return i;
                    }
                }
            }
        }
        // u * total rounded up to the full sum: the last token with a weight above 0
        int last = logits.length - 1;
        while (Math.exp((double) logits[last] - max) == 0.0) {
            last--;
        }
        return last;
    }

    @Override
    public String toString() {
        return "MultinomialSampler";
    }
}
