package dev.nexttoken.sampling;

/**
 * Minimum length, as Hugging Face's {@code MinNewTokensLengthLogitsProcessor}: the end-of-text
 * token cannot be chosen until the row has N new tokens,
 * <pre>
 *   x'_eot = -inf    while newTokenCount(row) &lt; N      (newTokenCount = length - promptLength)
 * </pre>
 * Counted per row from the context, so rows with different prompt lengths are handled. Valid
 * ranges: {@code N >= 0} (0 changes nothing), end-of-text id {@code >= 0} (and inside the
 * vocabulary, checked when applied; GPT-2's is 50256). Stateless and thread-safe.
 */
public final class MinNewTokensProcessor implements RowLogitsProcessor, BuiltIn {

    private final int minNewTokens;
    private final int endOfTextId;

    /**
     * @param minNewTokens N, at least 0
     * @param endOfTextId the id of the end-of-text token, at least 0
     * @throws IllegalArgumentException if out of range
     */
    public MinNewTokensProcessor(int minNewTokens, int endOfTextId) {
        if (minNewTokens < 0) {
            throw new IllegalArgumentException("min_new_tokens must be >= 0, got " + minNewTokens);
        }
        if (endOfTextId < 0) {
            throw new IllegalArgumentException("end_of_text_id must be >= 0, got " + endOfTextId);
        }
        this.minNewTokens = minNewTokens;
        this.endOfTextId = endOfTextId;
    }

    /** @return N */
    public int minNewTokens() {
        return minNewTokens;
    }

    /** @return the end-of-text id */
    public int endOfTextId() {
        return endOfTextId;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        if (endOfTextId >= logits.length) {
            throw Checks.outsideVocabulary(name(), "end-of-text id", endOfTextId, logits.length);
        }
        if (context.newTokenCount(row) < minNewTokens) {
            logits[endOfTextId] = Float.NEGATIVE_INFINITY;
        }
    }

    @Override
    public String name() {
        return "MinNewTokensProcessor(min_new_tokens=" + minNewTokens + ", end_of_text_id=" + endOfTextId + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
