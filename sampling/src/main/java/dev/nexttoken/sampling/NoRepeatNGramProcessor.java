package dev.nexttoken.sampling;

/**
 * No repeated n-grams, as Hugging Face's {@code NoRepeatNGramLogitsProcessor}: a token that would
 * complete an n-gram already present in the row's history (prompt included) is removed. With the
 * history {@code t_0 .. t_{L-1}}:
 * <pre>
 *   for every s in [0, L-n]:  if t_s .. t_{s+n-2} == t_{L-n+1} .. t_{L-1}  then  x'_{t_{s+n-1}} = -inf
 * </pre>
 * For n = 1 every token already seen is removed. Histories shorter than n - 1 tokens are left
 * alone. Valid range: {@code n >= 1}. Costs O(L * n) per row and step. Stateless and thread-safe.
 */
public final class NoRepeatNGramProcessor implements RowLogitsProcessor, BuiltIn {

    private final int size;

    /**
     * @param size n, the n-gram length, at least 1
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public NoRepeatNGramProcessor(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("no_repeat_ngram_size must be >= 1, got " + size
                    + " (SamplingOptions.noRepeatNgramSize(0) means off)");
        }
        this.size = size;
    }

    /** @return n */
    public int size() {
        return size;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        int length = context.length(row);
        if (length + 1 < size) {
            return;
        }
        int prefixStart = length - size + 1; // the last n-1 tokens
        for (int s = 0; s + size <= length; s++) {
            boolean match = true;
            for (int j = 0; j < size - 1; j++) {
                if (context.token(row, s + j) != context.token(row, prefixStart + j)) {
                    match = false;
                    break;
                }
            }
            if (match) {
                int banned = context.token(row, s + size - 1);
                if (banned < 0 || banned >= logits.length) {
                    throw Checks.outsideVocabulary(name(), "token id in the history of row " + row + ":", banned,
                            logits.length);
                }
                logits[banned] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    @Override
    public String name() {
        return "NoRepeatNGramProcessor(n=" + size + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
