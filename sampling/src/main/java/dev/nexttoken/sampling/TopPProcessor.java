package dev.nexttoken.sampling;

import java.util.Arrays;

/**
 * Top-p (nucleus) filtering, as Hugging Face's {@code TopPLogitsWarper}: keep the smallest set of
 * most probable tokens whose probability reaches p, remove the rest. With the tokens sorted by
 * logit, largest first, {@code p_i = softmax(x)_i} and {@code c_j = p_(1) + ... + p_(j)}:
 * <pre>
 *   j* = min { j : c_j >= p },   x'_i = x_i if x_i >= x_(j*),  -inf otherwise
 * </pre>
 * At least one token always survives (the most probable), and tokens whose logit equals the
 * cut-off logit {@code x_(j*)} all survive (no arbitrary tie-break). {@code p = 1} changes nothing.
 * With {@code minTokensToKeep} n, the n most probable tokens survive even when fewer reach p,
 * as Hugging Face's {@code min_tokens_to_keep}.
 * Valid range: {@code 0 < p <= 1}.
 *
 * <p>Implementation: the probabilities come from the row (softmax in double, one pass of
 * exponentials over the finite logits). Up to 2048 finite logits (after top-k) are all sorted, at
 * a cost of tens of microseconds. Above that the logits are ordered only as far as needed: the
 * 256 largest are found by partial selection (see {@link TopKProcessor}) and sorted; if they do
 * not reach p, the prefix grows eightfold. Over a full vocabulary the exponentials take most of the
 * time; a flat distribution that needs thousands of tokens costs more. Stateless and thread-safe.
 */
public final class TopPProcessor implements RowLogitsProcessor, BuiltIn {

    /** Up to this many finite logits, all are sorted; above, only the largest (growing prefix). */
    private static final int SORT_ALL_LIMIT = 2048;

    private final double topP;
    private final int minTokensToKeep;

    /**
     * @param topP the probability mass p to keep, in {@code (0, 1]}
     * @throws IllegalArgumentException if p is out of range
     */
    public TopPProcessor(double topP) {
        this(topP, 1);
    }

    /**
     * @param topP the probability mass p to keep, in {@code (0, 1]}
     * @param minTokensToKeep keep at least this many of the most probable tokens, at least 1
     * @throws IllegalArgumentException if p or minTokensToKeep is out of range
     */
    public TopPProcessor(double topP, int minTokensToKeep) {
        if (!(topP > 0.0 && topP <= 1.0)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        MinTokensToKeep.check(minTokensToKeep);
        this.topP = topP;
        this.minTokensToKeep = minTokensToKeep;
    }

    /** @return p */
    public double topP() {
        return topP;
    }

    /** @return the fewest tokens kept, whatever p */
    public int minTokensToKeep() {
        return minTokensToKeep;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        if (topP >= 1.0) {
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        int finite = 0;
        for (float v : logits) {
            if (v > max) {
                max = v;
            }
            if (v != Float.NEGATIVE_INFINITY) {
                finite++;
            }
        }
        if (max == Float.NEGATIVE_INFINITY) {
            return; // nothing left to filter; the pipeline reports the empty row
        }
        if (max == Float.POSITIVE_INFINITY) {
            // the +inf tokens hold all the probability
            MinTokensToKeep.removeBelow(logits, Float.POSITIVE_INFINITY, minTokensToKeep);
            return;
        }
        float cutoff;
        if (finite <= SORT_ALL_LIMIT) {
            // typical after top-k: order every finite logit (one pass also sums the weights)
            long[] keys = new long[finite];
            int n = 0;
            double sum = 0.0;
            for (int i = 0; i < logits.length; i++) {
                float v = logits[i];
                if (v != Float.NEGATIVE_INFINITY) {
                    keys[n++] = Selection.descendingKey(v, i);
                    sum += Math.exp((double) v - max);
                }
            }
            Arrays.sort(keys);
            int cut = cutIndex(keys, n, logits, max, topP * sum);
            if (cut < 0) {
                return; // rounding kept the sum just below p: keep everything
            }
            cutoff = logits[Selection.idOf(keys[cut])];
        } else {
            // a large vocabulary: order only the largest logits, as many as needed
            double sum = Softmax.sumExp(logits, max);
            int prefix = 256;
            while (true) {
                float smallest = Selection.kthLargest(logits, prefix);
                long[] keys = new long[prefix];
                int n = 0;
                for (int i = 0; i < logits.length; i++) {
                    if (logits[i] >= smallest) {
                        if (n == keys.length) {
                            keys = Arrays.copyOf(keys, 2 * n); // ties with the prefix's smallest
                        }
                        keys[n++] = Selection.descendingKey(logits[i], i);
                    }
                }
                Arrays.sort(keys, 0, n);
                int cut = cutIndex(keys, n, logits, max, topP * sum);
                if (cut >= 0) {
                    cutoff = logits[Selection.idOf(keys[cut])];
                    break;
                }
                if (prefix == finite) {
                    return; // rounding kept the sum just below p: keep everything
                }
                prefix = (int) Math.min(finite, 8L * prefix);
            }
        }
        MinTokensToKeep.removeBelow(logits, cutoff, minTokensToKeep);
    }

    /** Index of the first key at which the cumulative weight reaches {@code target}, or -1. */
    private static int cutIndex(long[] keys, int n, float[] logits, float max, double target) {
        double cumulative = 0.0;
        for (int j = 0; j < n; j++) {
            cumulative += Math.exp((double) logits[Selection.idOf(keys[j])] - max);
            if (cumulative >= target) {
                return j;
            }
        }
        return -1;
    }

    @Override
    public String name() {
        return "TopPProcessor(p=" + topP + MinTokensToKeep.describe(minTokensToKeep) + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
