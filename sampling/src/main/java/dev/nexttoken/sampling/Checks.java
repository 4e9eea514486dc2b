package dev.nexttoken.sampling;

/** Scans of a row of logits used before softmax and sampling. */
final class Checks {

    private Checks() {
    }

    /** Index of the first NaN in the row, or -1 when there is none. */
    static int indexOfNaN(float[] row) {
        for (int i = 0; i < row.length; i++) {
            if (row[i] != row[i]) {
                return i;
            }
        }
        return -1;
    }

    /** Index of the first NaN, +inf or -inf in the row, or -1 when every logit is finite. */
    static int indexOfNonFinite(float[] row) {
        float any = 0f;
        for (float v : row) {
            any = Math.max(any, v - v);                                  // NaN, and stays NaN, at the first non-finite
        }
        if (any == 0f) {
            return -1;                                                    // one pass without a branch: the usual case
        }
        for (int i = 0; i < row.length; i++) {
            float v = row[i];
            if (v - v != 0f) {                                            // NaN for NaN and for both infinities
                return i;
            }
        }
        return -1;
    }

    /** True when no logit of the row is above -inf (the row is empty or every token was removed). */
    static boolean allNegativeInfinity(float[] row) {
        for (float v : row) {
            if (v > Float.NEGATIVE_INFINITY) {
                return false;
            }
        }
        return true;
    }

    /**
     * The largest logit of the row, found in one pass that also detects NaN.
     *
     * @return the maximum, or NaN when the row holds a NaN
     */
    static float maxOrNaN(float[] row) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : row) {
            max = Math.max(max, v);                                       // NaN once any value is NaN
        }
        return max;
    }

    /**
     * Throws a {@link SamplingException} naming {@code origin} when the row holds a NaN or has no
     * logit above -inf; otherwise returns the largest logit (one pass over the row).
     */
    static float requireSampleable(float[] row, String origin) {
        float max = maxOrNaN(row);
        if (max != max) {
            throw new SamplingException("the logit of token " + indexOfNaN(row) + " is NaN in " + origin
                    + ": no probabilities can be computed");
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new SamplingException("every logit is -inf in " + origin
                    + ": the processors removed every token, so none can be chosen");
        }
        return max;
    }

    /** Message fragment for an id outside the vocabulary. */
    static SamplingException outsideVocabulary(String who, String what, int id, int vocabSize) {
        return new SamplingException(who + ": " + what + " " + id
                + " is outside the vocabulary (valid ids are 0.." + (vocabSize - 1) + ")");
    }
}
