package dev.nexttoken.examples;

import dev.nexttoken.core.GenerationOptions;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options that shape the next-token distribution and the random choice from it, shared by
 * {@code generate} and {@code next} as a picocli mixin ({@code @Mixin SamplingCliOptions sampling;}).
 *
 * <p>Every field is {@code null} when its option was not given: the command then leaves the
 * library's default in place, so {@code next} shows exactly the distribution {@code generate}
 * samples from. The processors apply in Hugging Face's order whatever the order on the command
 * line: penalties first, then temperature, top-k, top-p, min-p, typical-p. Range checks are the
 * library's ({@code IllegalArgumentException}, reported as a bad argument). nanoGPT's snake_case
 * names ({@code --top_k=200}) are accepted as aliases. {@link #applyTo(GenerationOptions.Builder)}
 * copies the given options into the library's builder.
 */
public final class SamplingCliOptions {

    /** {@code --temperature}: one value, or (for {@code next --plot} only) several. */
    @Option(names = "--temperature", split = ",", paramLabel = "T",
            description = "Divide the logits by T before softmax: below 1 sharper, above 1 flatter,"
                    + " 0 greedy (always the most likely token). Default 0.8, as sample.py."
                    + " next --plot takes a list, 0.5,1,1.5.")
    List<Double> temperatures;

    /** {@code --top-k}. */
    @Option(names = {"--top-k", "--top_k"}, paramLabel = "K",
            description = "Keep only the K most likely tokens; 0 is off. Default 200, as sample.py.")
    Integer topK;

    /** {@code --top-p}. */
    @Option(names = {"--top-p", "--top_p"}, paramLabel = "P",
            description = "Nucleus sampling: keep the most likely tokens whose probabilities add up to P, in (0, 1].")
    Double topP;

    /** {@code --min-p}. */
    @Option(names = {"--min-p", "--min_p"}, paramLabel = "P",
            description = "Drop tokens whose probability is below P times the most likely token's, P in [0, 1].")
    Double minP;

    /** {@code --typical-p}. */
    @Option(names = {"--typical-p", "--typical_p"}, paramLabel = "P",
            description = "Locally typical sampling: keep the tokens whose surprise is closest to"
                    + " the entropy, up to probability mass P, in (0, 1].")
    Double typicalP;

    /** {@code --min-tokens-to-keep}. */
    @Option(names = {"--min-tokens-to-keep", "--min_tokens_to_keep"}, paramLabel = "N",
            description = "Top-k, top-p, min-p and typical-p each leave at least N tokens, however strict"
                    + " (Hugging Face's min_tokens_to_keep); default 1.")
    Integer minTokensToKeep;

    /** {@code --repetition-penalty}. */
    @Option(names = {"--repetition-penalty", "--repetition_penalty"}, paramLabel = "R",
            description = "Make tokens already in the text less likely: above 1 penalises, 1 is off"
                    + " (Hugging Face's repetition_penalty).")
    Double repetitionPenalty;

    /** {@code --frequency-penalty}. */
    @Option(names = {"--frequency-penalty", "--frequency_penalty"}, paramLabel = "F",
            description = "Lower a token's logit by F times the number of times it already occurred; 0 is off.")
    Double frequencyPenalty;

    /** {@code --presence-penalty}. */
    @Option(names = {"--presence-penalty", "--presence_penalty"}, paramLabel = "F",
            description = "Lower the logit of every token that already occurred by F; 0 is off.")
    Double presencePenalty;

    /** {@code --penalty-window}. */
    @Option(names = {"--penalty-window", "--penalty_window"}, paramLabel = "N",
            description = "The penalties look at the last N tokens only; 0 (the default) looks at all.")
    Integer penaltyWindow;

    /** {@code --no-repeat-ngram-size}. */
    @Option(names = {"--no-repeat-ngram-size", "--no_repeat_ngram_size"}, paramLabel = "N",
            description = "Never repeat an n-gram of N tokens that is already in the text; 0 is off.")
    Integer noRepeatNgramSize;

    /** {@code --logit-bias}. */
    @Option(names = {"--logit-bias", "--logit_bias"}, split = ",", paramLabel = "ID=BIAS",
            description = "Add BIAS to the logit of token ID before the other processors,"
                    + " e.g. 198=-100,50256=-5 (repeatable).")
    Map<Integer, Double> logitBias;

    /** {@code --ban-tokens}. */
    @Option(names = {"--ban-tokens", "--ban_tokens"}, split = ",", paramLabel = "ID",
            description = "Never produce these token ids, e.g. 198,628 (repeatable).")
    List<Integer> banTokens;

    /** {@code --ban-sequence}, repeatable. */
    @Option(names = {"--ban-sequence", "--ban_sequence"}, paramLabel = "ID,ID,...",
            description = "Never produce this sequence of token ids (repeatable, one sequence each time).")
    List<String> banSequences;

    /** {@code --min-new-tokens}. */
    @Option(names = {"--min-new-tokens", "--min_new_tokens"}, paramLabel = "N",
            description = "Suppress <|endoftext|> until N new tokens exist.")
    Integer minNewTokens;

    /** {@code --seed}. */
    @Option(names = "--seed", paramLabel = "N",
            description = "Seed of the random choices: the same seed gives the same text on every run."
                    + " Default 1337, as sample.py.")
    Long seed;

    /**
     * The single temperature of {@code --temperature}.
     *
     * @return the temperature, or {@code null} if not given
     * @throws BadArgumentException if a list of several temperatures was given
     */
    public Double temperature() {
        if (temperatures == null || temperatures.isEmpty()) {
            return null;
        }
        if (temperatures.size() > 1) {
            throw new BadArgumentException("--temperature takes one value here, got " + temperatures.size()
                    + "; a comma-separated list is only for 'next --plot'");
        }
        return temperatures.get(0);
    }

    /**
     * Copies every option given into a builder, leaving the builder's defaults for the rest.
     *
     * @param builder the library's options builder
     * @throws BadArgumentException if several temperatures were given
     * @throws IllegalArgumentException if a value is out of range (the library's message)
     */
    public void applyTo(GenerationOptions.Builder builder) {
        Double temperature = temperature();
        if (temperature != null) {
            builder.temperature(temperature);
        }
        applyAllButTemperature(builder);
    }

    /**
     * Copies every option given except {@code --temperature} into a builder, for
     * {@code next --plot}, which sets one temperature per series itself.
     *
     * @param builder the library's options builder
     * @throws IllegalArgumentException if a value is out of range (the library's message)
     */
    public void applyAllButTemperature(GenerationOptions.Builder builder) {
        if (topK != null) {
            builder.topK(topK);
        }
        if (topP != null) {
            builder.topP(topP);
        }
        if (minP != null) {
            builder.minP(minP);
        }
        if (typicalP != null) {
            builder.typicalP(typicalP);
        }
        if (minTokensToKeep != null) {
            builder.minTokensToKeep(minTokensToKeep);
        }
        if (repetitionPenalty != null) {
            builder.repetitionPenalty(repetitionPenalty);
        }
        if (frequencyPenalty != null) {
            builder.frequencyPenalty(frequencyPenalty);
        }
        if (presencePenalty != null) {
            builder.presencePenalty(presencePenalty);
        }
        if (penaltyWindow != null) {
            builder.penaltyWindow(penaltyWindow);
        }
        if (noRepeatNgramSize != null) {
            builder.noRepeatNgramSize(noRepeatNgramSize);
        }
        if (logitBias != null) {
            builder.logitBias(logitBias);
        }
        if (banTokens != null) {
            builder.banTokens(banTokens.stream().mapToInt(Integer::intValue).toArray());
        }
        if (banSequences != null) {
            for (String sequence : banSequences) {
                builder.banSequence(parseIds("--ban-sequence", sequence));
            }
        }
        if (minNewTokens != null) {
            builder.minNewTokens(minNewTokens);
        }
        if (seed != null) {
            builder.seed(seed);
        }
    }

    /** Token ids separated by commas, for example {@code 464,2068}. */
    private static int[] parseIds(String option, String text) {
        String[] parts = text.split(",");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new BadArgumentException(option + ": '" + text + "' is not a comma-separated list of token ids", e);
            }
        }
        return ids;
    }

    /**
     * All temperatures of {@code --temperature}, for {@code next --plot}.
     *
     * @return the temperatures in the order given; empty if not given
     */
    public List<Double> temperatures() {
        return temperatures == null ? List.of() : List.copyOf(temperatures);
    }
}
