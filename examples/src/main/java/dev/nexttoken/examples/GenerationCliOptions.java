package dev.nexttoken.examples;

import dev.nexttoken.core.GenerationOptions;
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
            description = "Generate at most N new tokens per sample. Default 500, as sample.py.")
    Integer maxNewTokens;

    /** {@code --num-samples}. */
    @Option(names = {"--num-samples", "--num_samples"}, paramLabel = "N",
            description = "Generate N samples (continuations) of the prompt, as one batch. Default 1.")
    Integer numSamples;

    /** {@code --stop}, repeatable. */
    @Option(names = "--stop", paramLabel = "TEXT",
            description = "Stop a sample when its new text contains TEXT (repeatable; the first match ends it).")
    List<String> stop;

    /** {@code --ignore-eos}. */
    @Option(names = {"--ignore-eos", "--ignore_eos"},
            description = "Keep generating after <|endoftext|> instead of ending the sample there.")
    boolean ignoreEos;

    /** {@code --stream}. */
    @Option(names = "--stream",
            description = "Print the text as it is generated, piece by piece. With several samples,"
                    + " one sample is shown live at a time, in order; the others' text is held until their turn.")
    boolean stream;

    /**
     * The stop texts of {@code --stop}.
     *
     * @return the stop texts in the order given; empty if none
     */
    public List<String> stops() {
        return stop == null ? List.of() : List.copyOf(stop);
    }

    /**
     * Copies every option given into a builder, leaving the builder's defaults for the rest
     * ({@code --stream} is about printing and is not copied).
     *
     * @param builder the library's options builder
     * @throws IllegalArgumentException if a value is out of range (the library's message)
     */
    public void applyTo(GenerationOptions.Builder builder) {
        if (maxNewTokens != null) {
            builder.maxNewTokens(maxNewTokens);
        }
        if (numSamples != null) {
            builder.numSamples(numSamples);
        }
        for (String text : stops()) {
            builder.addStopString(text);
        }
        if (ignoreEos) {
            builder.stopAtEndOfText(false);
        }
    }
}
