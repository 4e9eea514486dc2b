package dev.nexttoken.examples;

import java.util.List;
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
 * names ({@code --top_k=200}) are accepted as aliases.
 */
public final class SamplingCliOptions {

    /** {@code --temperature}: one value, or (for {@code next --plot} only) several. */
    @Option(names = "--temperature", split = ",", paramLabel = "T",
            description = "Divide the logits by T before softmax: below 1 sharper, above 1 flatter,"
                    + " 0 greedy (always the most likely token). next --plot takes a list, 0.5,1,1.5.")
    List<Double> temperatures;

    /** {@code --top-k}. */
    @Option(names = {"--top-k", "--top_k"}, paramLabel = "K",
            description = "Keep only the K most likely tokens.")
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

    /** {@code --seed}. */
    @Option(names = "--seed", paramLabel = "N",
            description = "Seed of the random choices: the same seed gives the same text on every run.")
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
     * All temperatures of {@code --temperature}, for {@code next --plot}.
     *
     * @return the temperatures in the order given; empty if not given
     */
    public List<Double> temperatures() {
        return temperatures == null ? List.of() : List.copyOf(temperatures);
    }
}
