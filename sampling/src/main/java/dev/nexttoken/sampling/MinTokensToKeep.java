package dev.nexttoken.sampling;

/**
 * The floor that {@code min_tokens_to_keep} (Hugging Face's name; llama.cpp's {@code min_keep})
 * puts under the truncating processors top-k, top-p, min-p and typical-p: whatever their own
 * cut-off, they never leave fewer than this many tokens (of those that were finite), so that a
 * strict setting cannot shrink the choice to a single token. The default, 1, is each
 * processor's own guarantee and adds nothing.
 */
final class MinTokensToKeep {

    private MinTokensToKeep() {
    }

    /**
     * Checks the argument of every processor and of the options builder.
     *
     * @param minTokensToKeep the count to check
     * @throws IllegalArgumentException if it is below 1
     */
    static void check(int minTokensToKeep) {
        if (minTokensToKeep < 1) {
            throw new IllegalArgumentException("min_tokens_to_keep must be >= 1 (1 = only the processor's own"
                    + " cut-off), got " + minTokensToKeep);
        }
    }

    /** The part of a processor's name that shows the setting: empty at the default 1. */
    static String describe(int minTokensToKeep) {
        return minTokensToKeep == 1 ? "" : ", min_tokens_to_keep=" + minTokensToKeep;
    }

    /**
     * Sets to -inf every logit below {@code cutoff}, except the {@code minTokensToKeep} largest
     * (and the tokens tied with the smallest of them), which stay whatever the cut-off.
     *
     * @param logits          the row, changed in place
     * @param cutoff          the processor's own cut-off: logits below it are removed
     * @param minTokensToKeep how many of the largest logits survive in any case
     */
    static void removeBelow(float[] logits, double cutoff, int minTokensToKeep) {
        double kept = Math.min(cutoff, floor(logits, minTokensToKeep));
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < kept) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * The {@code minTokensToKeep}-th largest logit: no logit at or above it may be removed.
     * {@code +inf} (no floor) for 1, since each processor keeps the most probable token itself;
     * {@code -inf} (keep everything) when the row is not longer than the count.
     */
    private static float floor(float[] logits, int minTokensToKeep) {
        if (minTokensToKeep <= 1) {
            return Float.POSITIVE_INFINITY;
        }
        if (minTokensToKeep >= logits.length) {
            return Float.NEGATIVE_INFINITY;
        }
        return Selection.kthLargest(logits, minTokensToKeep);
    }
}
