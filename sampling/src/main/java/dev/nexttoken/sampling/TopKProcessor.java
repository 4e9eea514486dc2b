package dev.nexttoken.sampling;

/**
 * Top-k filtering with nanoGPT's semantics ({@code logits[logits < topk(logits, k)[-1]] = -inf}):
 * <pre>
 *   x'_i = x_i    if x_i >= v_k
 *   x'_i = -inf   otherwise,        v_k = the k-th largest logit (equal values counted separately)
 * </pre>
 * Ties with the k-th largest survive, so more than k tokens may remain. With {@code k >=} the
 * vocabulary size nothing changes; tokens already at {@code -inf} stay there (and if fewer than k
 * are finite, nothing changes). Valid range: {@code k >= 1}; to turn top-k off, leave the processor
 * out ({@link SamplingOptions} uses {@code top_k = 0} for "off", as Hugging Face and llama.cpp do).
 * With {@code minTokensToKeep} above k, that many are kept instead, as Hugging Face's
 * {@code max(top_k, min_tokens_to_keep)}.
 *
 * <p>Implementation: the k-th largest value comes from a partial selection, not a sort: for
 * {@code k <= 1024}, on a long row, the values at or above a threshold taken from 1,024 evenly
 * spaced ones (one pass), then a bounded min-heap of k floats over those few (exact: the
 * threshold is used only when at least k values pass it; else the heap goes over the whole
 * row); a quickselect on a copy above that. Stateless and thread-safe.
 */
public final class TopKProcessor implements RowLogitsProcessor, BuiltIn {

    private final int k;
    private final int minTokensToKeep;

    /**
     * @param k how many of the largest logits to keep, at least 1
     * @throws IllegalArgumentException if {@code k < 1}
     */
    public TopKProcessor(int k) {
        this(k, 1);
    }

    /**
     * @param k how many of the largest logits to keep, at least 1
     * @param minTokensToKeep keep at least this many however small k is, at least 1
     * @throws IllegalArgumentException if {@code k < 1} or {@code minTokensToKeep < 1}
     */
    public TopKProcessor(int k, int minTokensToKeep) {
        if (k < 1) {
            throw new IllegalArgumentException("top_k must be >= 1, got " + k
                    + " (to turn top-k off leave the processor out; SamplingOptions.topK(0) means off)");
        }
        MinTokensToKeep.check(minTokensToKeep);
        this.k = k;
        this.minTokensToKeep = minTokensToKeep;
    }

    /** @return k */
    public int k() {
        return k;
    }

    /** @return the fewest tokens kept, whatever k */
    public int minTokensToKeep() {
        return minTokensToKeep;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        int keep = Math.max(k, minTokensToKeep);
        if (keep >= logits.length) {
            return;
        }
        float kth = Selection.kthLargest(logits, keep);
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < kth) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    @Override
    public String name() {
        return "TopKProcessor(k=" + k + MinTokensToKeep.describe(minTokensToKeep) + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
