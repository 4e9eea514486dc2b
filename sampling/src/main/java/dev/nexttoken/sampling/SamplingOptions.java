package dev.nexttoken.sampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How the next token is chosen: the settings of a {@link SamplingPipeline}. Immutable; built with
 * {@link #builder()}, whose defaults are nanoGPT's {@code sample.py} (temperature 0.8, top-k 200).
 *
 * <p>The processors run in Hugging Face's order, whatever order the builder was called in:
 * <ol>
 * <li>repetition penalty, frequency/presence penalties, no-repeat n-gram, logit bias, banned tokens
 * and sequences, min-new-tokens;</li>
 * <li>temperature, top-k, top-p, min-p, typical-p (skipped when the temperature is 0: greedy
 * decoding takes the argmax of the penalised logits, as Hugging Face does without
 * {@code do_sample});</li>
 * <li>the custom processors, in the order added.</li>
 * </ol>
 * A setting at its neutral value (top_k 0, top_p 1, min_p 0, typical_p 1, penalties 1 or 0, ...)
 * adds no processor. {@code min_tokens_to_keep} (default 1) is the fewest tokens each of top-k,
 * top-p, min-p and typical-p leaves, as Hugging Face's option of that name. The sampler is
 * {@link GreedySampler} at temperature 0, {@link MultinomialSampler} otherwise, unless one is set.
 *
 * <p>Every setter checks its argument and names the valid range, e.g.
 * {@code top_p must be in (0, 1], got 1.5}.
 */
public final class SamplingOptions {

    private final double temperature;
    private final int topK;
    private final double topP;
    private final double minP;
    private final double typicalP;
    private final int minTokensToKeep;
    private final double repetitionPenalty;
    private final double frequencyPenalty;
    private final double presencePenalty;
    private final int penaltyWindow;
    private final int noRepeatNgramSize;
    private final Map<Integer, Double> logitBias;
    private final Set<Integer> bannedTokens;
    private final int[][] bannedSequences;
    private final int minNewTokens;
    private final int endOfTextId;
    private final List<LogitsProcessor> processors;
    private final Sampler sampler;

    private SamplingOptions(Builder b) {
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.minP = b.minP;
        this.typicalP = b.typicalP;
        this.minTokensToKeep = b.minTokensToKeep;
        this.repetitionPenalty = b.repetitionPenalty;
        this.frequencyPenalty = b.frequencyPenalty;
        this.presencePenalty = b.presencePenalty;
        this.penaltyWindow = b.penaltyWindow;
        this.noRepeatNgramSize = b.noRepeatNgramSize;
        this.logitBias = Collections.unmodifiableMap(new TreeMap<>(b.logitBias));
        this.bannedTokens = Collections.unmodifiableSet(new TreeSet<>(b.bannedTokens));
        this.bannedSequences = b.bannedSequences.stream().map(int[]::clone).toArray(int[][]::new);
        this.minNewTokens = b.minNewTokens;
        this.endOfTextId = b.endOfTextId;
        this.processors = List.copyOf(b.processors);
        this.sampler = b.sampler;
    }

    /** @return a builder with nanoGPT's defaults (temperature 0.8, top-k 200, nothing else) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return nanoGPT's {@code sample.py} settings: temperature 0.8, top-k 200 */
    public static SamplingOptions nanoGpt() {
        return builder().build();
    }

    /** @return greedy decoding: temperature 0 (argmax), no top-k */
    public static SamplingOptions greedy() {
        return builder().temperature(0).topK(0).build();
    }

    /** @return a builder holding these options */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.typicalP = typicalP;
        b.minTokensToKeep = minTokensToKeep;
        b.repetitionPenalty = repetitionPenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.presencePenalty = presencePenalty;
        b.penaltyWindow = penaltyWindow;
        b.noRepeatNgramSize = noRepeatNgramSize;
        b.logitBias.putAll(logitBias);
        b.bannedTokens.addAll(bannedTokens);
        for (int[] s : bannedSequences) {
            b.bannedSequences.add(s.clone());
        }
        b.minNewTokens = minNewTokens;
        b.endOfTextId = endOfTextId;
        b.processors.addAll(processors);
        b.sampler = sampler;
        return b;
    }

    /**
     * Temperatures below this are greedy decoding (argmax), exactly as temperature 0.
     *
     * <p>Why: dividing float32 logits by a temperature this small already gives a gap of e^100
     * between logits 1e-4 apart, which no sampler tells from argmax; much smaller ones overflow
     * ({@code logit / T} beyond float32's 3.4e38 from about 1e-35 on) or round to 0 as a float
     * (below 1.4e-45), and would sample from infinities. So the rule is a clear threshold, not
     * arithmetic that degrades: {@code 0 <= T < 1e-6} means greedy.
     */
    public static final double GREEDY_BELOW = 1e-6;

    /** @return the temperature; 0 (and anything below {@link #GREEDY_BELOW}) means greedy decoding */
    public double temperature() {
        return temperature;
    }

    /** @return true when the temperature is below {@link #GREEDY_BELOW}, 0 included (argmax decoding) */
    public boolean isGreedy() {
        return temperature < GREEDY_BELOW;
    }

    /** @return top-k's k; 0 means off */
    public int topK() {
        return topK;
    }

    /** @return top-p's p; 1 means off */
    public double topP() {
        return topP;
    }

    /** @return min-p; 0 means off */
    public double minP() {
        return minP;
    }

    /** @return typical-p; 1 means off */
    public double typicalP() {
        return typicalP;
    }

    /** @return the fewest tokens top-k, top-p, min-p and typical-p each leave; 1 (the default) adds nothing */
    public int minTokensToKeep() {
        return minTokensToKeep;
    }

    /** @return the repetition penalty; 1 means off */
    public double repetitionPenalty() {
        return repetitionPenalty;
    }

    /** @return the frequency penalty; 0 means off */
    public double frequencyPenalty() {
        return frequencyPenalty;
    }

    /** @return the presence penalty; 0 means off */
    public double presencePenalty() {
        return presencePenalty;
    }

    /** @return how many of the last tokens the penalties look at; 0 means the whole history */
    public int penaltyWindow() {
        return penaltyWindow;
    }

    /** @return the no-repeat n-gram size; 0 means off */
    public int noRepeatNgramSize() {
        return noRepeatNgramSize;
    }

    /** @return token id to additive logit bias, sorted by id, unmodifiable */
    public Map<Integer, Double> logitBias() {
        return logitBias;
    }

    /** @return the banned token ids, ascending, unmodifiable */
    public Set<Integer> bannedTokens() {
        return bannedTokens;
    }

    /** @return the banned sequences (copies) */
    public List<int[]> bannedSequences() {
        List<int[]> copy = new ArrayList<>();
        for (int[] s : bannedSequences) {
            copy.add(s.clone());
        }
        return copy;
    }

    /** @return how many new tokens must exist before end-of-text may be chosen; 0 means off */
    public int minNewTokens() {
        return minNewTokens;
    }

    /** @return the end-of-text token id, if set */
    public OptionalInt endOfTextId() {
        return endOfTextId < 0 ? OptionalInt.empty() : OptionalInt.of(endOfTextId);
    }

    /** @return the custom processors, run after the built-in ones, unmodifiable */
    public List<LogitsProcessor> processors() {
        return processors;
    }

    /** @return the sampler set explicitly; empty means greedy at temperature 0, multinomial otherwise */
    public Optional<Sampler> sampler() {
        return Optional.ofNullable(sampler);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SamplingOptions)) {
            return false;
        }
        SamplingOptions other = (SamplingOptions) o;
        return Double.compare(temperature, other.temperature) == 0 && topK == other.topK
                && Double.compare(topP, other.topP) == 0 && Double.compare(minP, other.minP) == 0
                && Double.compare(typicalP, other.typicalP) == 0 && minTokensToKeep == other.minTokensToKeep
                && Double.compare(repetitionPenalty, other.repetitionPenalty) == 0
                && Double.compare(frequencyPenalty, other.frequencyPenalty) == 0
                && Double.compare(presencePenalty, other.presencePenalty) == 0
                && penaltyWindow == other.penaltyWindow && noRepeatNgramSize == other.noRepeatNgramSize
                && logitBias.equals(other.logitBias) && bannedTokens.equals(other.bannedTokens)
                && Arrays.deepEquals(bannedSequences, other.bannedSequences)
                && minNewTokens == other.minNewTokens && endOfTextId == other.endOfTextId
                && processors.equals(other.processors) && Objects.equals(sampler, other.sampler);
    }

    @Override
    public int hashCode() {
        return Objects.hash(temperature, topK, topP, minP, typicalP, minTokensToKeep, repetitionPenalty,
                frequencyPenalty, presencePenalty, penaltyWindow, noRepeatNgramSize, logitBias, bannedTokens,
                Arrays.deepHashCode(bannedSequences), minNewTokens, endOfTextId, processors, sampler);
    }

    /** @return the settings that differ from "off", e.g. {@code SamplingOptions[temperature=0.8, top_k=200]} */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add("temperature=" + temperature);
        if (topK != 0) {
            parts.add("top_k=" + topK);
        }
        if (topP != 1.0) {
            parts.add("top_p=" + topP);
        }
        if (minP != 0.0) {
            parts.add("min_p=" + minP);
        }
        if (typicalP != 1.0) {
            parts.add("typical_p=" + typicalP);
        }
        if (minTokensToKeep != 1) {
            parts.add("min_tokens_to_keep=" + minTokensToKeep);
        }
        if (repetitionPenalty != 1.0) {
            parts.add("repetition_penalty=" + repetitionPenalty);
        }
        if (frequencyPenalty != 0.0) {
            parts.add("frequency_penalty=" + frequencyPenalty);
        }
        if (presencePenalty != 0.0) {
            parts.add("presence_penalty=" + presencePenalty);
        }
        if (penaltyWindow != 0) {
            parts.add("penalty_window=" + penaltyWindow);
        }
        if (noRepeatNgramSize != 0) {
            parts.add("no_repeat_ngram_size=" + noRepeatNgramSize);
        }
        if (!logitBias.isEmpty()) {
            parts.add("logit_bias=" + logitBias);
        }
        if (!bannedTokens.isEmpty()) {
            parts.add("banned_tokens=" + bannedTokens);
        }
        if (bannedSequences.length > 0) {
            parts.add("banned_sequences=" + Arrays.deepToString(bannedSequences));
        }
        if (minNewTokens != 0) {
            parts.add("min_new_tokens=" + minNewTokens);
        }
        if (endOfTextId >= 0) {
            parts.add("end_of_text_id=" + endOfTextId);
        }
        if (!processors.isEmpty()) {
            List<String> names = new ArrayList<>();
            for (LogitsProcessor p : processors) {
                names.add(p.name());
            }
            parts.add("processors=" + names);
        }
        if (sampler != null) {
            parts.add("sampler=" + sampler.name());
        }
        return "SamplingOptions" + parts;
    }

    /**
     * Builds {@link SamplingOptions}. Starts at nanoGPT's defaults: temperature 0.8, top-k 200,
     * every other setting off. Each setter validates its argument at once; {@link #build()} checks
     * the settings that depend on each other.
     */
    public static final class Builder {

        private double temperature = 0.8;
        private int topK = 200;
        private double topP = 1.0;
        private double minP = 0.0;
        private double typicalP = 1.0;
        private int minTokensToKeep = 1;
        private double repetitionPenalty = 1.0;
        private double frequencyPenalty = 0.0;
        private double presencePenalty = 0.0;
        private int penaltyWindow = 0;
        private int noRepeatNgramSize = 0;
        private final Map<Integer, Double> logitBias = new TreeMap<>();
        private final Set<Integer> bannedTokens = new TreeSet<>();
        private final List<int[]> bannedSequences = new ArrayList<>();
        private int minNewTokens = 0;
        private int endOfTextId = -1;
        private final List<LogitsProcessor> processors = new ArrayList<>();
        private Sampler sampler;

        private Builder() {
        }

        /**
         * @param temperature {@code >= 0} and finite; 0, and anything below {@link #GREEDY_BELOW}
         *                    (1e-6), means greedy (argmax); 1 leaves the logits alone
         * @return this builder
         */
        public Builder temperature(double temperature) {
            if (!(temperature >= 0.0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("temperature must be >= 0 and finite (0 = greedy), got "
                        + temperature);
            }
            this.temperature = temperature;
            return this;
        }

        /**
         * @param topK {@code >= 0}; 0 turns top-k off
         * @return this builder
         */
        public Builder topK(int topK) {
            if (topK < 0) {
                throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
            }
            this.topK = topK;
            return this;
        }

        /**
         * @param topP in {@code (0, 1]}; 1 turns top-p off
         * @return this builder
         */
        public Builder topP(double topP) {
            if (!(topP > 0.0 && topP <= 1.0)) {
                throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
            }
            this.topP = topP;
            return this;
        }

        /**
         * @param minP in {@code [0, 1]}; 0 turns min-p off
         * @return this builder
         */
        public Builder minP(double minP) {
            if (!(minP >= 0.0 && minP <= 1.0)) {
                throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
            }
            this.minP = minP;
            return this;
        }

        /**
         * @param typicalP in {@code (0, 1]}; 1 turns typical-p off
         * @return this builder
         */
        public Builder typicalP(double typicalP) {
            if (!(typicalP > 0.0 && typicalP <= 1.0)) {
                throw new IllegalArgumentException("typical_p must be in (0, 1], got " + typicalP);
            }
            this.typicalP = typicalP;
            return this;
        }

        /**
         * The fewest tokens each of top-k, top-p, min-p and typical-p leaves, whatever its own
         * setting: Hugging Face's {@code min_tokens_to_keep}, llama.cpp's {@code min_keep}. Top-k
         * keeps {@code max(k, n)}; the others keep the n most probable (typical-p: most typical)
         * tokens even when fewer reach their threshold.
         *
         * @param minTokensToKeep {@code >= 1}; 1 (the default) leaves each processor's own cut-off
         * @return this builder
         */
        public Builder minTokensToKeep(int minTokensToKeep) {
            MinTokensToKeep.check(minTokensToKeep);
            this.minTokensToKeep = minTokensToKeep;
            return this;
        }

        /**
         * @param repetitionPenalty {@code > 0} and finite; 1 turns it off (Hugging Face's default)
         * @return this builder
         */
        public Builder repetitionPenalty(double repetitionPenalty) {
            if (!(repetitionPenalty > 0.0) || Double.isInfinite(repetitionPenalty)) {
                throw new IllegalArgumentException("repetition_penalty must be > 0 and finite (1 = off), got "
                        + repetitionPenalty);
            }
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        /**
         * @param frequencyPenalty finite; 0 turns it off (OpenAI accepts [-2, 2])
         * @return this builder
         */
        public Builder frequencyPenalty(double frequencyPenalty) {
            if (!Double.isFinite(frequencyPenalty)) {
                throw new IllegalArgumentException("frequency_penalty must be finite (0 = off), got " + frequencyPenalty);
            }
            this.frequencyPenalty = frequencyPenalty;
            return this;
        }

        /**
         * @param presencePenalty finite; 0 turns it off (OpenAI accepts [-2, 2])
         * @return this builder
         */
        public Builder presencePenalty(double presencePenalty) {
            if (!Double.isFinite(presencePenalty)) {
                throw new IllegalArgumentException("presence_penalty must be finite (0 = off), got " + presencePenalty);
            }
            this.presencePenalty = presencePenalty;
            return this;
        }

        /**
         * @param penaltyWindow how many of the last tokens (prompt included) the repetition, frequency
         *     and presence penalties look at, {@code >= 0}; 0 means the whole history
         * @return this builder
         */
        public Builder penaltyWindow(int penaltyWindow) {
            if (penaltyWindow < 0) {
                throw new IllegalArgumentException("penalty_window must be >= 0 (0 = whole history), got "
                        + penaltyWindow);
            }
            this.penaltyWindow = penaltyWindow;
            return this;
        }

        /**
         * @param noRepeatNgramSize {@code >= 0}; 0 turns it off
         * @return this builder
         */
        public Builder noRepeatNgramSize(int noRepeatNgramSize) {
            if (noRepeatNgramSize < 0) {
                throw new IllegalArgumentException("no_repeat_ngram_size must be >= 0 (0 = off), got "
                        + noRepeatNgramSize);
            }
            this.noRepeatNgramSize = noRepeatNgramSize;
            return this;
        }

        /**
         * Adds (or replaces) the bias of one token; see {@link LogitBiasProcessor}.
         *
         * @param tokenId the id, {@code >= 0}
         * @param bias added to the logit; not NaN; an infinite bias sets the logit
         * @return this builder
         */
        public Builder logitBias(int tokenId, double bias) {
            LogitBiasProcessor.checkId(tokenId);
            LogitBiasProcessor.checkBias(tokenId, bias);
            logitBias.put(tokenId, bias);
            return this;
        }

        /**
         * Replaces all biases.
         *
         * @param bias token id to bias
         * @return this builder
         */
        public Builder logitBias(Map<Integer, ? extends Number> bias) {
            Map<Integer, Double> copy = new TreeMap<>();
            for (Map.Entry<Integer, ? extends Number> e : bias.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("logit_bias ids and values must not be null");
                }
                LogitBiasProcessor.checkId(e.getKey());
                LogitBiasProcessor.checkBias(e.getKey(), e.getValue().doubleValue());
                copy.put(e.getKey(), e.getValue().doubleValue());
            }
            logitBias.clear();
            logitBias.putAll(copy);
            return this;
        }

        /**
         * Adds banned tokens.
         *
         * @param tokenIds ids, each {@code >= 0}
         * @return this builder
         */
        public Builder banTokens(int... tokenIds) {
            for (int id : tokenIds) {
                if (id < 0) {
                    throw new IllegalArgumentException("banned token ids must be >= 0, got " + id);
                }
            }
            for (int id : tokenIds) {
                bannedTokens.add(id);
            }
            return this;
        }

        /**
         * Replaces the banned tokens.
         *
         * @param tokenIds ids, each {@code >= 0}
         * @return this builder
         */
        public Builder bannedTokens(Collection<Integer> tokenIds) {
            int[] ids = tokenIds.stream().mapToInt(id -> {
                if (id == null || id < 0) {
                    throw new IllegalArgumentException("banned token ids must be >= 0, got " + id);
                }
                return id;
            }).toArray();
            bannedTokens.clear();
            return banTokens(ids);
        }

        /**
         * Adds a banned sequence: its last token is removed whenever the history ends with the
         * tokens before it.
         *
         * @param tokenIds at least one id, each {@code >= 0}
         * @return this builder
         */
        public Builder banSequence(int... tokenIds) {
            if (tokenIds == null || tokenIds.length == 0) {
                throw new IllegalArgumentException("a banned sequence must hold at least one token id");
            }
            for (int id : tokenIds) {
                if (id < 0) {
                    throw new IllegalArgumentException("banned token ids must be >= 0, got " + id);
                }
            }
            bannedSequences.add(tokenIds.clone());
            return this;
        }

        /**
         * Replaces the banned sequences.
         *
         * @param sequences each at least one id, each id {@code >= 0}
         * @return this builder
         */
        public Builder bannedSequences(Collection<int[]> sequences) {
            List<int[]> previous = new ArrayList<>(bannedSequences);
            bannedSequences.clear();
            try {
                for (int[] s : sequences) {
                    banSequence(s);
                }
            } catch (IllegalArgumentException e) {
                bannedSequences.clear();
                bannedSequences.addAll(previous);
                throw e;
            }
            return this;
        }

        /**
         * @param minNewTokens {@code >= 0}; end-of-text is removed until this many new tokens exist;
         *     needs {@link #endOfTextId(int)} when above 0
         * @return this builder
         */
        public Builder minNewTokens(int minNewTokens) {
            if (minNewTokens < 0) {
                throw new IllegalArgumentException("min_new_tokens must be >= 0 (0 = off), got " + minNewTokens);
            }
            this.minNewTokens = minNewTokens;
            return this;
        }

        /**
         * @param endOfTextId the end-of-text token id, {@code >= 0} (GPT-2: 50256)
         * @return this builder
         */
        public Builder endOfTextId(int endOfTextId) {
            if (endOfTextId < 0) {
                throw new IllegalArgumentException("end_of_text_id must be >= 0, got " + endOfTextId);
            }
            this.endOfTextId = endOfTextId;
            return this;
        }

        /**
         * Appends a custom processor; custom processors run after the built-in ones, in the order added.
         *
         * @param processor the processor
         * @return this builder
         */
        public Builder addProcessor(LogitsProcessor processor) {
            if (processor == null) {
                throw new IllegalArgumentException("processor must not be null");
            }
            processors.add(processor);
            return this;
        }

        /**
         * Replaces the custom processors.
         *
         * @param processors the processors, in order
         * @return this builder
         */
        public Builder processors(List<? extends LogitsProcessor> processors) {
            if (processors == null) {
                throw new IllegalArgumentException("processors must not be null");
            }
            for (LogitsProcessor p : processors) {
                if (p == null) {
                    throw new IllegalArgumentException("processors must not contain null");
                }
            }
            this.processors.clear();
            this.processors.addAll(processors);
            return this;
        }

        /**
         * Sets the sampler; {@code null} restores the default (greedy at temperature 0, multinomial
         * otherwise).
         *
         * @param sampler the sampler or null
         * @return this builder
         */
        public Builder sampler(Sampler sampler) {
            this.sampler = sampler;
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException if min_new_tokens is set without an end-of-text id
         */
        public SamplingOptions build() {
            if (minNewTokens > 0 && endOfTextId < 0) {
                throw new IllegalArgumentException("min_new_tokens = " + minNewTokens
                        + " needs the end-of-text token id: call endOfTextId(id) (GPT-2: 50256)");
            }
            return new SamplingOptions(this);
        }
    }
}
