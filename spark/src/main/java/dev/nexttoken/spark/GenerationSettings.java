package dev.nexttoken.spark;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.sampling.SamplingOptions;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The built-in settings of a {@link GenerationOptions}, as a serializable value that travels to
 * the executors ({@code GenerationOptions} may hold arbitrary processors and is not
 * serializable). What cannot travel is refused on the driver, before any task starts: custom
 * {@code LogitsProcessor}s and samplers, traces, and more than one sample per row.
 */
final class GenerationSettings implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int maxNewTokens;
    private final long seed;
    private final ArrayList<String> stopStrings;
    private final boolean stopAtEndOfText;
    private final boolean allowSpecialTokens;
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
    private final TreeMap<Integer, Double> logitBias;
    private final int[] bannedTokens;
    private final ArrayList<int[]> bannedSequences;
    private final int minNewTokens;

    /**
     * @throws IllegalArgumentException if {@code options} holds what cannot be sent to executors
     */
    GenerationSettings(GenerationOptions options) {
        SamplingOptions s = options.sampling();
        if (!s.processors().isEmpty() || s.sampler().isPresent()) {
            throw new IllegalArgumentException("custom LogitsProcessors and samplers cannot be sent to Spark executors:"
                    + " use the built-in options (temperature, top-k, top-p, penalties, bias, bans)");
        }
        if (options.numSamples() != 1) {
            throw new IllegalArgumentException("generate over a dataset makes one completion per row, got numSamples "
                    + options.numSamples() + ": repeat the rows with different keys for more");
        }
        if (options.traceTopN() != 0) {
            throw new IllegalArgumentException("traces are not written to datasets: build the options without trace(...)");
        }
        maxNewTokens = options.maxNewTokens();
        seed = options.seed();
        stopStrings = new ArrayList<>(options.stopStrings());
        stopAtEndOfText = options.stopAtEndOfText();
        allowSpecialTokens = options.allowSpecialTokens();
        temperature = s.temperature();
        topK = s.topK();
        topP = s.topP();
        minP = s.minP();
        typicalP = s.typicalP();
        minTokensToKeep = s.minTokensToKeep();
        repetitionPenalty = s.repetitionPenalty();
        frequencyPenalty = s.frequencyPenalty();
        presencePenalty = s.presencePenalty();
        penaltyWindow = s.penaltyWindow();
        noRepeatNgramSize = s.noRepeatNgramSize();
        logitBias = new TreeMap<>(s.logitBias());
        bannedTokens = s.bannedTokens().stream().mapToInt(Integer::intValue).toArray();
        bannedSequences = new ArrayList<>(s.bannedSequences());
        minNewTokens = s.minNewTokens();
    }

    /** The options' own seed, from which each row's seed is derived. */
    long seed() {
        return seed;
    }

    /** The options again, with {@code rowSeed} as the seed. */
    GenerationOptions toOptions(long rowSeed) {
        GenerationOptions.Builder b = GenerationOptions.builder()
                .maxNewTokens(maxNewTokens).seed(rowSeed).stopStrings(stopStrings).stopAtEndOfText(stopAtEndOfText)
                .allowSpecialTokens(allowSpecialTokens)
                .temperature(temperature).topK(topK).topP(topP).minP(minP).typicalP(typicalP)
                .minTokensToKeep(minTokensToKeep)
                .repetitionPenalty(repetitionPenalty).frequencyPenalty(frequencyPenalty)
                .presencePenalty(presencePenalty).penaltyWindow(penaltyWindow).noRepeatNgramSize(noRepeatNgramSize)
                .logitBias((Map<Integer, Double>) logitBias).banTokens(bannedTokens).minNewTokens(minNewTokens);
        for (int[] sequence : (List<int[]>) bannedSequences) {
            b.banSequence(sequence);
        }
        return b.build();
    }
}
