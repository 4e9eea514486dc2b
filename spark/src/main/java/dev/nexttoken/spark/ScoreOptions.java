package dev.nexttoken.spark;

import java.io.Serializable;

/**
 * How {@link NextToken#score} scores each text. Immutable and serializable (it travels with the
 * tasks); built with {@link #builder()}.
 */
public final class ScoreOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int stride;
    private final boolean tokenLogProbs;
    private final int batchSize;

    private ScoreOptions(Builder b) {
        this.stride = b.stride;
        this.tokenLogProbs = b.tokenLogProbs;
        this.batchSize = b.batchSize;
    }

    /** The defaults: consecutive windows for long texts, no per-token log-probabilities. */
    public static ScoreOptions defaults() {
        return builder().build();
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * How far each window advances over a text longer than the model's context
     * ({@code Generator.score(int[], int)}); {@code 0} means the whole context ({@code n_positions}).
     */
    public int stride() {
        return stride;
    }

    /** Whether a {@code token_logprobs} column holds {@code log p} of each of tokens 2…N. */
    public boolean tokenLogProbs() {
        return tokenLogProbs;
    }

    /**
     * How many rows of a partition go through the model together ({@code Generator.score(List, int)});
     * 1 (the default) scores each row alone, exactly as {@code Generator.score} does.
     */
    public int batchSize() {
        return batchSize;
    }

    /** Builds {@link ScoreOptions}. */
    public static final class Builder {
        private int stride;
        private boolean tokenLogProbs;
        private int batchSize = 1;

        private Builder() {
        }

        /**
         * Strided windows for long texts: each token is predicted once, with at least
         * {@code n_positions - stride + 1} tokens of context after the first window; {@code 0}
         * (the default) is {@code n_positions}: consecutive windows. Must not exceed the model's
         * {@code n_positions} (checked when the model is loaded).
         */
        public Builder stride(int stride) {
            if (stride < 0) {
                throw new IllegalArgumentException("stride must be >= 0 (0: the whole context), got " + stride);
            }
            this.stride = stride;
            return this;
        }

        /** Adds the {@code token_logprobs} column (an array of N-1 doubles per row). */
        public Builder tokenLogProbs(boolean on) {
            this.tokenLogProbs = on;
            return this;
        }

        /**
         * Rows scored together in one batched pass, {@code >= 1}. Short texts then cost far less
         * (3.7–4× measured for texts of 6 tokens), but each loss equals single scoring only up to
         * float rounding (about 1e-6 nats: a batched matrix product sums in another order); 1, the
         * default, scores each row alone.
         */
        public Builder batchSize(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + rows);
            }
            this.batchSize = rows;
            return this;
        }

        /** The options. */
        public ScoreOptions build() {
            return new ScoreOptions(this);
        }
    }
}
