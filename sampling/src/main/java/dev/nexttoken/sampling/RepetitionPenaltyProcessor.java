package dev.nexttoken.sampling;

/**
 * Repetition penalty as in Hugging Face's {@code RepetitionPenaltyLogitsProcessor} (Keskar et al.,
 * 2019, CTRL): every token already in the row's history (prompt included) becomes less likely,
 * once however often it occurred,
 * <pre>
 *   x'_i = x_i / r    if token i occurred and x_i &gt; 0
 *   x'_i = x_i * r    if token i occurred and x_i &lt;= 0
 *   x'_i = x_i        otherwise
 * </pre>
 * With a window {@code N > 0} only the last N tokens count (llama.cpp's {@code repeat_last_n});
 * {@code N = 0} means the whole history. {@code r = 1} changes nothing, {@code r < 1} favours
 * repetition. Valid ranges: {@code r > 0} and finite, {@code N >= 0}. Stateless and thread-safe.
 */
public final class RepetitionPenaltyProcessor implements RowLogitsProcessor, BuiltIn {

    private final double penalty;
    private final int window;
    private final float factor;

    /**
     * A penalty over the whole history.
     *
     * @param penalty r, greater than 0 and finite
     */
    public RepetitionPenaltyProcessor(double penalty) {
        this(penalty, 0);
    }

    /**
     * @param penalty r, greater than 0 and finite
     * @param window how many of the last tokens count, 0 for all
     * @throws IllegalArgumentException if out of range
     */
    public RepetitionPenaltyProcessor(double penalty, int window) {
        if (!(penalty > 0.0) || Double.isInfinite(penalty)) {
            throw new IllegalArgumentException("repetition_penalty must be > 0 and finite, got " + penalty);
        }
        if (window < 0) {
            throw new IllegalArgumentException("penalty_window must be >= 0 (0 = whole history), got " + window);
        }
        this.penalty = penalty;
        this.window = window;
        this.factor = (float) penalty;
    }

    /** @return r */
    public double penalty() {
        return penalty;
    }

    /** @return the window, 0 for the whole history */
    public int window() {
        return window;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        TokenCounts seen = TokenCounts.of(context, row, window);
        for (int j = 0; j < seen.size; j++) {
            int id = seen.ids[j];
            if (id < 0 || id >= logits.length) {
                throw Checks.outsideVocabulary(name(), "token id in the history of row " + row + ":", id,
                        logits.length);
            }
            float v = logits[id];
            logits[id] = v > 0 ? v / factor : v * factor;
        }
    }

    @Override
    public String name() {
        return "RepetitionPenaltyProcessor(penalty=" + penalty + (window == 0 ? "" : ", window=" + window) + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
