package dev.nexttoken.sampling;

/**
 * Frequency and presence penalties as in the OpenAI API and llama.cpp: with {@code c_i} the number
 * of times token i occurs in the row's history (prompt included),
 * <pre>
 *   x'_i = x_i - c_i * frequency_penalty - (c_i &gt; 0 ? presence_penalty : 0)
 * </pre>
 * computed in float32. With a window {@code N > 0} only the last N tokens are counted
 * ({@code repeat_last_n}); {@code N = 0} counts the whole history. Negative penalties encourage
 * repetition. Valid ranges: both penalties finite (OpenAI accepts [-2, 2]), {@code N >= 0}.
 * Stateless and thread-safe.
 */
public final class FrequencyPresencePenaltyProcessor implements RowLogitsProcessor, BuiltIn {

    private final double frequencyPenalty;
    private final double presencePenalty;
    private final int window;

    /**
     * @param frequencyPenalty subtracted once per occurrence, finite
     * @param presencePenalty subtracted once if the token occurs, finite
     * @param window how many of the last tokens count, 0 for all
     * @throws IllegalArgumentException if out of range
     */
    public FrequencyPresencePenaltyProcessor(double frequencyPenalty, double presencePenalty, int window) {
        if (!Double.isFinite(frequencyPenalty)) {
            throw new IllegalArgumentException("frequency_penalty must be finite, got " + frequencyPenalty);
        }
        if (!Double.isFinite(presencePenalty)) {
            throw new IllegalArgumentException("presence_penalty must be finite, got " + presencePenalty);
        }
        if (window < 0) {
            throw new IllegalArgumentException("penalty_window must be >= 0 (0 = whole history), got " + window);
        }
        this.frequencyPenalty = frequencyPenalty;
        this.presencePenalty = presencePenalty;
        this.window = window;
    }

    /** @return the frequency penalty */
    public double frequencyPenalty() {
        return frequencyPenalty;
    }

    /** @return the presence penalty */
    public double presencePenalty() {
        return presencePenalty;
    }

    /** @return the window, 0 for the whole history */
    public int window() {
        return window;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        float frequency = (float) frequencyPenalty;
        float presence = (float) presencePenalty;
        TokenCounts seen = TokenCounts.of(context, row, window);
        for (int j = 0; j < seen.size; j++) {
            int id = seen.ids[j];
            if (id < 0 || id >= logits.length) {
                throw Checks.outsideVocabulary(name(), "token id in the history of row " + row + ":", id,
                        logits.length);
            }
            logits[id] -= seen.counts[j] * frequency + presence;
        }
    }

    @Override
    public String name() {
        return "FrequencyPresencePenaltyProcessor(frequency=" + frequencyPenalty + ", presence=" + presencePenalty
                + (window == 0 ? "" : ", window=" + window) + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
