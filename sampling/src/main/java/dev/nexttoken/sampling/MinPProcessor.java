package dev.nexttoken.sampling;

/**
 * Min-p filtering, as Hugging Face's {@code MinPLogitsWarper} and llama.cpp's min-p sampler:
 * remove the tokens whose probability is below {@code min_p} times the top probability,
 * <pre>
 *   p_i &lt; min_p * max_j p_j   &lt;=&gt;   x_i - max_j x_j &lt; ln(min_p)   =&gt;   x'_i = -inf
 * </pre>
 * The right-hand form is used: it needs no exponentials and is exact where float32 probabilities
 * would underflow. The most probable token always survives. {@code min_p = 0} changes nothing,
 * {@code min_p = 1} keeps only the tokens tied for the largest logit. Valid range: {@code [0, 1]}.
 * With {@code minTokensToKeep} n, the n most probable tokens survive whatever their probability,
 * as Hugging Face's {@code min_tokens_to_keep}.
 * Stateless and thread-safe.
 */
public final class MinPProcessor implements RowLogitsProcessor, BuiltIn {

    private final double minP;
    private final double logMinP;
    private final int minTokensToKeep;

    /**
     * @param minP the fraction of the top probability a token needs, in {@code [0, 1]}
     * @throws IllegalArgumentException if out of range
     */
    public MinPProcessor(double minP) {
        this(minP, 1);
    }

    /**
     * @param minP the fraction of the top probability a token needs, in {@code [0, 1]}
     * @param minTokensToKeep keep at least this many of the most probable tokens, at least 1
     * @throws IllegalArgumentException if min_p or minTokensToKeep is out of range
     */
    public MinPProcessor(double minP, int minTokensToKeep) {
        if (!(minP >= 0.0 && minP <= 1.0)) {
            throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        }
        MinTokensToKeep.check(minTokensToKeep);
        this.minP = minP;
        this.logMinP = Math.log(minP);
        this.minTokensToKeep = minTokensToKeep;
    }

    /** @return min_p */
    public double minP() {
        return minP;
    }

    /** @return the fewest tokens kept, whatever min_p */
    public int minTokensToKeep() {
        return minTokensToKeep;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        if (minP == 0.0) {
            return;
        }
        float max = Softmax.max(logits);
        if (max == Float.NEGATIVE_INFINITY) {
            return;
        }
        double threshold = max + logMinP; // +inf when max is +inf: only the +inf tokens stay
        MinTokensToKeep.removeBelow(logits, threshold, minTokensToKeep);
    }

    @Override
    public String name() {
        return "MinPProcessor(min_p=" + minP + MinTokensToKeep.describe(minTokensToKeep) + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
