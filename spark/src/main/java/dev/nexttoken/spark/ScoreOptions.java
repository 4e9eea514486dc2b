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

    private ScoreOptions(Builder b) {
        this.stride = b.stride;
        this.tokenLogProbs = b.tokenLogProbs;
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

    /** Builds {@link ScoreOptions}. */
    public static final class Builder {
        private int stride;
        private boolean tokenLogProbs;

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

        /** The options. */
        public ScoreOptions build() {
            return new ScoreOptions(this);
        }
    }
}
