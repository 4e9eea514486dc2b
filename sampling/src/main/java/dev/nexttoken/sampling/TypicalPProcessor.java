package dev.nexttoken.sampling;

/**
 * Locally typical sampling (Meister et al., 2022), as Hugging Face's {@code TypicalLogitsWarper}:
 * keep the tokens whose surprisal is closest to the distribution's entropy, until they hold
 * probability mass p. With {@code p_i = softmax(x)_i},
 * <pre>
 *   H   = -sum_i p_i ln p_i                 (entropy)
 *   d_i = | -ln p_i - H |                   (distance from typical)
 *   sort tokens by d ascending; c_j = cumulative probability in that order
 *   j*  = min { j : c_j >= p },   x'_i = x_i if d_i &lt;= d_(j*),  -inf otherwise
 * </pre>
 * At least one token survives, at least {@code minTokensToKeep} when set (the most typical ones,
 * as Hugging Face's {@code min_tokens_to_keep}); tokens tied with the cut-off distance all
 * survive. {@code p = 1} changes nothing. Valid range: {@code 0 < p <= 1}. Note that the most
 * probable token can be removed (its surprisal may be far below the entropy). Distances are
 * computed in double and compared as float32, like the key that orders them.
 *
 * <p>Implementation: as {@link TopPProcessor}, partial selection over the finite logits only.
 * Stateless and thread-safe.
 */
public final class TypicalPProcessor implements RowLogitsProcessor, BuiltIn {

    private final double typicalP;
    private final int minTokensToKeep;

    /**
     * @param typicalP the probability mass p to keep, in {@code (0, 1]}
     * @throws IllegalArgumentException if out of range
     */
    public TypicalPProcessor(double typicalP) {
        this(typicalP, 1);
    }

    /**
     * @param typicalP the probability mass p to keep, in {@code (0, 1]}
     * @param minTokensToKeep keep at least this many of the most typical tokens, at least 1
     * @throws IllegalArgumentException if p or minTokensToKeep is out of range
     */
    public TypicalPProcessor(double typicalP, int minTokensToKeep) {
        if (!(typicalP > 0.0 && typicalP <= 1.0)) {
            throw new IllegalArgumentException("typical_p must be in (0, 1], got " + typicalP);
        }
        MinTokensToKeep.check(minTokensToKeep);
        this.typicalP = typicalP;
        this.minTokensToKeep = minTokensToKeep;
    }

    /** @return p */
    public double typicalP() {
        return typicalP;
    }

    /** @return the fewest tokens kept, whatever p */
    public int minTokensToKeep() {
        return minTokensToKeep;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        if (typicalP >= 1.0) {
            return;
        }
        float max = Softmax.max(logits);
        if (max == Float.NEGATIVE_INFINITY) {
            return;
        }
        if (max == Float.POSITIVE_INFINITY) {
            // the +inf tokens: equally probable, equally typical; the others have probability 0
            MinTokensToKeep.removeBelow(logits, Float.POSITIVE_INFINITY, minTokensToKeep);
            return;
        }
        double logSumExp = Softmax.logSumExp(logits);
        double entropy = 0.0;
        int finite = 0;
        for (float v : logits) {
            if (v != Float.NEGATIVE_INFINITY) {
                finite++;
                double logP = v - logSumExp;
                double p = Math.exp(logP);
                if (p > 0.0) {
                    entropy -= p * logP;
                }
            }
        }
        if (minTokensToKeep >= finite) {
            return; // nothing may be removed
        }
        float[] distance = new float[logits.length];
        long[] keys = new long[finite];
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY) {
                distance[i] = (float) Math.abs(-(logits[i] - logSumExp) - entropy);
                keys[n++] = Selection.ascendingKey(distance[i], i);
            }
        }
        float cutoff = Float.POSITIVE_INFINITY;
        int prefix = Math.min(finite, Math.max(256, minTokensToKeep));
        while (true) {
            Selection.sortSmallest(keys, finite, prefix);
            double cumulative = 0.0;
            int cut = -1;
            for (int j = 0; j < prefix; j++) {
                cumulative += Math.exp(logits[Selection.idOf(keys[j])] - logSumExp);
                if (cumulative >= typicalP) {
                    cut = j;
                    break;
                }
            }
            if (cut >= 0) {
                cut = Math.max(cut, minTokensToKeep - 1); // within the sorted prefix: prefix >= minTokensToKeep
                cutoff = distance[Selection.idOf(keys[cut])];
                break;
            }
            if (prefix == finite) {
                return; // rounding kept the sum just below p: keep everything
            }
            prefix = (int) Math.min(finite, 8L * prefix);
        }
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY && distance[i] > cutoff) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    @Override
    public String name() {
        return "TypicalPProcessor(p=" + typicalP + MinTokensToKeep.describe(minTokensToKeep) + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
