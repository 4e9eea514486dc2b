package dev.nexttoken.examples;

import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of a generation run that do not change the next-token distribution: how much to
 * generate, when to stop and how to print. A picocli mixin for {@code generate}
 * ({@code @Mixin GenerationCliOptions generation;}).
 *
 * <p>The numeric fields are {@code null} when not given (the library's defaults apply).
 * nanoGPT's names ({@code --num_samples=3}, {@code --max_new_tokens=100}) are accepted as aliases.
 */
public final class GenerationCliOptions {

    /** {@code --max-new-tokens}. */
    @Option(names = {"--max-new-tokens", "--max_new_tokens"}, paramLabel = "N",
            description = "Generate at most N new tokens per sample.")
    Integer maxNewTokens;

    /** {@code --num-samples}. */
    @Option(names = {"--num-samples", "--num_samples"}, paramLabel = "N",
            description = "Generate N samples (continuations) of the prompt.")
    Integer numSamples;

    /** {@code --stop}, repeatable. */
    @Option(names = "--stop", paramLabel = "TEXT",
            description = "Stop a sample when its new text contains TEXT (repeatable; the first match ends it).")
    List<String> stop;

    /** {@code --stream}. */
    @Option(names = "--stream",
            description = "Print the text as it is generated, token by token.")
    boolean stream;

    /**
     * The stop texts of {@code --stop}.
     *
     * @return the stop texts in the order given; empty if none
     */
    public List<String> stops() {
        return stop == null ? List.of() : List.copyOf(stop);
    }
}
