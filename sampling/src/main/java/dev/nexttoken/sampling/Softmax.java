package dev.nexttoken.sampling;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Numerically stable softmax over one row of logits:
 * <pre>
 *   p_i = exp(x_i - m) / sum_j exp(x_j - m),   m = max_j x_j
 * </pre>
 * Subtracting the maximum keeps every exponent at or below 0, so very large logits cannot overflow
 * and the largest term is exactly 1, so the sum cannot underflow to 0. The exponentials and the sum
 * are computed in double from the float32 logits: probabilities as small as 1e-300 keep their
 * relative precision (float32 would flush anything below 1.4e-45 to 0).
 *
 * <p>Special values: {@code -inf} logits get probability exactly 0 (removed tokens). {@code +inf}
 * logits are treated as certain: the probability is shared equally among the {@code +inf} tokens and
 * every other token gets 0 (the limit of the formula). A row whose every logit is {@code -inf}, or
 * that contains NaN, has no distribution: a {@link SamplingException} names the origin of the row.
 */
public final class Softmax {

    private Softmax() {
    }

    /**
     * Probabilities of one row.
     *
     * @param logits the row
     * @return a new array of probabilities that sum to 1
     * @throws SamplingException if the row contains NaN or every logit is {@code -inf}
     */
    public static double[] probabilities(float[] logits) {
        return probabilities(logits, "the given logits");
    }

    /**
     * Probabilities of one row; errors name {@code origin} (for example the processor chain).
     *
     * @param logits the row
     * @param origin where the row comes from, for error messages
     * @return a new array of probabilities that sum to 1
     * @throws SamplingException if the row contains NaN or every logit is {@code -inf}
     */
    public static double[] probabilities(float[] logits, String origin) {
        double[] out = new double[logits.length];
        probabilities(logits, out, origin);
        return out;
    }

    /**
     * Probabilities of one row into {@code out} (same length).
     *
     * @param logits the row
     * @param out receives the probabilities
     * @param origin where the row comes from, for error messages
     * @throws SamplingException if the row contains NaN or every logit is {@code -inf}
     */
    public static void probabilities(float[] logits, double[] out, String origin) {
        if (out.length != logits.length) {
            throw new IllegalArgumentException("out has " + out.length + " entries, logits " + logits.length);
        }
        float max = Checks.requireSampleable(logits, origin);
        if (max == Float.POSITIVE_INFINITY) {
            int count = 0;
            for (float v : logits) {
                if (v == Float.POSITIVE_INFINITY) {
                    count++;
                }
            }
            double share = 1.0 / count;
            for (int i = 0; i < logits.length; i++) {
                out[i] = logits[i] == Float.POSITIVE_INFINITY ? share : 0.0;
            }
            return;
        }
        double sum = 0.0;
        if (mostlyFinite(logits)) {
            for (int i = 0; i < logits.length; i++) {
                double e = Math.exp((double) logits[i] - max); // exactly 0 for -inf
                out[i] = e;
                sum += e;
            }
        } else {
            for (int i = 0; i < logits.length; i++) {
                float v = logits[i];
                double e = v == Float.NEGATIVE_INFINITY ? 0.0 : Math.exp((double) v - max);
                out[i] = e;
                sum += e;
            }
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= sum;
        }
    }

    /**
     * Probabilities of every row of a {@code [batch, vocab]} matrix (one bulk copy per row, no
     * per-element JNI).
     *
     * @param logits {@code [batch, vocab]}, left unchanged
     * @return {@code [batch][vocab]} probabilities
     * @throws SamplingException if a row contains NaN or every logit of a row is {@code -inf}
     */
    public static double[][] probabilities(INDArray logits) {
        float[][] rows = LogitsArrays.read(logits);
        double[][] result = new double[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            result[r] = probabilities(rows[r], "row " + r + " of the given logits");
        }
        return result;
    }

    /**
     * {@code log(sum_i exp(x_i))}, computed stably; {@code -inf} when every logit is {@code -inf}.
     * With it, {@code log p_i = x_i - logSumExp(x)}.
     *
     * @param logits the row, without NaN
     * @return the log of the softmax denominator
     */
    public static double logSumExp(float[] logits) {
        float max = max(logits);
        if (max == Float.NEGATIVE_INFINITY || max == Float.POSITIVE_INFINITY) {
            return max;
        }
        return max + Math.log(sumExp(logits, max));
    }

    /**
     * {@code sum_i exp(x_i - max)} in double for a finite {@code max}; {@code -inf} logits add exactly
     * 0. Two loops with identical results: over a mostly finite row every entry goes through
     * {@code Math.exp} (exp(-inf) = 0), which the JIT compiles to a faster loop than one with a
     * test per entry; a mostly -inf row (after top-k) skips the removed entries instead.
     */
    static double sumExp(float[] logits, float max) {
        double sum = 0.0;
        if (mostlyFinite(logits)) {
            for (float v : logits) {
                sum += Math.exp((double) v - max);
            }
        } else {
            for (float v : logits) {
                if (v != Float.NEGATIVE_INFINITY) {
                    sum += Math.exp((double) v - max);
                }
            }
        }
        return sum;
    }

    /** Whether at least half of 64 evenly spaced entries are finite: picks the faster loop only. */
    static boolean mostlyFinite(float[] logits) {
        int step = Math.max(1, logits.length / 64);
        int seen = 0;
        int finite = 0;
        for (int i = 0; i < logits.length; i += step) {
            seen++;
            if (logits[i] != Float.NEGATIVE_INFINITY) {
                finite++;
            }
        }
        return 2 * finite >= seen;
    }

    static float max(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (v > max) {
                max = v;
            }
        }
        return max;
    }
}
