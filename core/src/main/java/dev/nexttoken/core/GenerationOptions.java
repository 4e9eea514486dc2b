package dev.nexttoken.core;

import dev.nexttoken.sampling.LogitsProcessor;
import dev.nexttoken.sampling.Sampler;
import dev.nexttoken.sampling.SamplingOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one {@link Generator} call needs besides the prompt: how many tokens, how many
 * samples, the seed, when to stop, what to record, and how the next token is chosen
 * ({@link SamplingOptions}). Immutable; built with {@link #builder()}, whose defaults follow
 * nanoGPT's {@code sample.py}: temperature 0.8, top-k 200, seed 1337, 500 new tokens
 * (but one sample, not ten).
 */
public final class GenerationOptions {

    /** The most samples one call may ask for; more would be a batch no machine here holds. */
    public static final int MAX_SAMPLES = 4096;

    private final int maxNewTokens;
    private final int numSamples;
    private final long seed;
    private final List<String> stopStrings;
    private final boolean stopAtEndOfText;
    private final int traceTopN;
    private final boolean allowSpecialTokens;
    private final SamplingOptions sampling;

    private GenerationOptions(Builder b) {
        this.maxNewTokens = b.maxNewTokens;
        this.numSamples = b.numSamples;
        this.seed = b.seed;
        this.stopStrings = List.copyOf(b.stopStrings);
        this.stopAtEndOfText = b.stopAtEndOfText;
        this.traceTopN = b.traceTopN;
        this.allowSpecialTokens = b.allowSpecialTokens;
        this.sampling = b.sampling.build();
    }

    /** A builder with nanoGPT's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** nanoGPT's defaults: temperature 0.8, top-k 200, seed 1337, 500 new tokens, one sample. */
    public static GenerationOptions defaults() {
        return builder().build();
    }

    /** Greedy decoding (argmax at every step) with otherwise default settings. */
    public static GenerationOptions greedy() {
        return builder().temperature(0).topK(0).build();
    }

    /** A builder holding this object's values, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.numSamples = numSamples;
        b.seed = seed;
        b.stopStrings.addAll(stopStrings);
        b.stopAtEndOfText = stopAtEndOfText;
        b.traceTopN = traceTopN;
        b.allowSpecialTokens = allowSpecialTokens;
        b.sampling = sampling.toBuilder();
        return b;
    }

    /** Most tokens generated per sample. */
    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** Number of continuations, generated together as one batch. */
    public int numSamples() {
        return numSamples;
    }

    /** Seed of the call; sample {@code i} draws from its own stream derived from {@code (seed, i)}. */
    public long seed() {
        return seed;
    }

    /** A sample ends before the first of these strings; the string is not part of its text. */
    public List<String> stopStrings() {
        return stopStrings;
    }

    /** Whether a sample ends when it produces {@code <|endoftext|>} (default true). */
    public boolean stopAtEndOfText() {
        return stopAtEndOfText;
    }

    /** Candidates recorded per step and sample in the trace; 0 = no trace. */
    public int traceTopN() {
        return traceTopN;
    }

    /** Whether {@code <|endoftext|>} written in the prompt is the special token (default: plain text). */
    public boolean allowSpecialTokens() {
        return allowSpecialTokens;
    }

    /** How the next token is chosen. */
    public SamplingOptions sampling() {
        return sampling;
    }

    @Override
    public String toString() {
        return "GenerationOptions[maxNewTokens=" + maxNewTokens + ", numSamples=" + numSamples + ", seed=" + seed
                + ", stopStrings=" + stopStrings + ", stopAtEndOfText=" + stopAtEndOfText
                + ", traceTopN=" + traceTopN + ", sampling=" + sampling + "]";
    }

    /** Builds {@link GenerationOptions}; every setter checks its argument and names the valid range. */
    public static final class Builder {
        private int maxNewTokens = 500;
        private int numSamples = 1;
        private long seed = 1337;
        private final List<String> stopStrings = new ArrayList<>();
        private boolean stopAtEndOfText = true;
        private int traceTopN;
        private boolean allowSpecialTokens;
        private SamplingOptions.Builder sampling = SamplingOptions.builder();

        private Builder() {
        }

        /** Most new tokens per sample, {@code >= 0}. */
        public Builder maxNewTokens(int maxNewTokens) {
            if (maxNewTokens < 0) {
                throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
            }
            this.maxNewTokens = maxNewTokens;
            return this;
        }

        /** Number of samples, in {@code [1, MAX_SAMPLES]}. */
        public Builder numSamples(int numSamples) {
            if (numSamples < 1 || numSamples > MAX_SAMPLES) {
                throw new IllegalArgumentException(
                        "num_samples must be in [1, " + MAX_SAMPLES + "], got " + numSamples);
            }
            this.numSamples = numSamples;
            return this;
        }

        /** The call's seed. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Adds a stop string (non-empty). */
        public Builder addStopString(String stop) {
            Objects.requireNonNull(stop, "stop");
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("a stop string must not be empty");
            }
            stopStrings.add(stop);
            return this;
        }

        /** Replaces the stop strings. */
        public Builder stopStrings(List<String> stops) {
            stopStrings.clear();
            stops.forEach(this::addStopString);
            return this;
        }

        /** Whether {@code <|endoftext|>} ends a sample. */
        public Builder stopAtEndOfText(boolean stop) {
            this.stopAtEndOfText = stop;
            return this;
        }

        /** Records the top {@code n} candidates of every step ({@code 0} = off, at most 1000). */
        public Builder trace(int topN) {
            if (topN < 0 || topN > 1000) {
                throw new IllegalArgumentException("trace top-N must be in [0, 1000], got " + topN);
            }
            this.traceTopN = topN;
            return this;
        }

        /** Treat {@code <|endoftext|>} in the prompt as the special token. */
        public Builder allowSpecialTokens(boolean allow) {
            this.allowSpecialTokens = allow;
            return this;
        }

        /** Replaces every sampling setting at once. */
        public Builder sampling(SamplingOptions options) {
            this.sampling = options.toBuilder();
            return this;
        }

        /**
         * Temperature, {@code >= 0} and finite; 0 = greedy, and so is every temperature below
         * 1e-6 ({@link dev.nexttoken.sampling.SamplingOptions#GREEDY_BELOW}): the same tokens as
         * greedy, because dividing float32 logits by less overflows or loses all resolution.
         */
        public Builder temperature(double temperature) {
            sampling.temperature(temperature);
            return this;
        }

        /** Top-k, {@code >= 0}; 0 = off. */
        public Builder topK(int topK) {
            sampling.topK(topK);
            return this;
        }

        /** Top-p (nucleus), in {@code (0, 1]}; 1 = off. */
        public Builder topP(double topP) {
            sampling.topP(topP);
            return this;
        }

        /** Min-p, in {@code [0, 1]}; 0 = off. */
        public Builder minP(double minP) {
            sampling.minP(minP);
            return this;
        }

        /** Typical-p, in {@code (0, 1]}; 1 = off. */
        public Builder typicalP(double typicalP) {
            sampling.typicalP(typicalP);
            return this;
        }

        /**
         * The fewest tokens top-k, top-p, min-p and typical-p each leave, {@code >= 1} (default 1):
         * Hugging Face's {@code min_tokens_to_keep}, llama.cpp's {@code min_keep}.
         */
        public Builder minTokensToKeep(int n) {
            sampling.minTokensToKeep(n);
            return this;
        }

        /** Hugging Face's repetition penalty, {@code > 0}; 1 = off. */
        public Builder repetitionPenalty(double penalty) {
            sampling.repetitionPenalty(penalty);
            return this;
        }

        /** OpenAI's frequency penalty; 0 = off. */
        public Builder frequencyPenalty(double penalty) {
            sampling.frequencyPenalty(penalty);
            return this;
        }

        /** OpenAI's presence penalty; 0 = off. */
        public Builder presencePenalty(double penalty) {
            sampling.presencePenalty(penalty);
            return this;
        }

        /** Penalties look at the last {@code n} tokens only; 0 = all. */
        public Builder penaltyWindow(int n) {
            sampling.penaltyWindow(n);
            return this;
        }

        /** Forbids repeating any n-gram of this size; 0 = off. */
        public Builder noRepeatNgramSize(int n) {
            sampling.noRepeatNgramSize(n);
            return this;
        }

        /** Adds {@code bias} to the logit of {@code tokenId}. */
        public Builder logitBias(int tokenId, double bias) {
            sampling.logitBias(tokenId, bias);
            return this;
        }

        /** Adds every entry of {@code bias}. */
        public Builder logitBias(Map<Integer, ? extends Number> bias) {
            sampling.logitBias(bias);
            return this;
        }

        /**
         * Never produce these tokens. To ban tokens by their text, select them with
         * {@code Tokenizer.tokensWhere}: every token holding a digit, for instance, is
         * {@code banTokens(tokenizer.tokensWhere(text -> text.chars().anyMatch(Character::isDigit)))}.
         */
        public Builder banTokens(int... tokenIds) {
            sampling.banTokens(tokenIds);
            return this;
        }

        /** Never produce this sequence of tokens. */
        public Builder banSequence(int... tokenIds) {
            sampling.banSequence(tokenIds);
            return this;
        }

        /** Suppress {@code <|endoftext|>} until this many new tokens exist. */
        public Builder minNewTokens(int n) {
            sampling.minNewTokens(n);
            if (n > 0) {
                // the sampling options need the id; GPT-2's, which the Generator sets again from its tokenizer
                sampling.endOfTextId(50256);
            }
            return this;
        }

        /** Adds a custom processor; custom processors run after the built-in ones, in order. */
        public Builder addProcessor(LogitsProcessor processor) {
            sampling.addProcessor(processor);
            return this;
        }

        /** Replaces the sampler that picks the token from the final distribution. */
        public Builder sampler(Sampler sampler) {
            sampling.sampler(sampler);
            return this;
        }

        /** The immutable options. */
        public GenerationOptions build() {
            return new GenerationOptions(this);
        }
    }
}
