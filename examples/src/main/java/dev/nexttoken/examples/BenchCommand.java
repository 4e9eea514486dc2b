package dev.nexttoken.examples;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken bench}: decode and prefill speed, load time and memory.
 *
 * <p>The options are final; the logic waits for {@code dev.nexttoken.core}. The numeric options
 * are {@code null} when not given (the command picks its defaults). With {@code --json} it will
 * print {@code {"decode_tokens_per_s":...,"prefill_tokens_per_s":...,"load_s":...,"peak_rss_mb":...}}
 * (medians; decode counts the new tokens of the whole batch).
 */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Measures decode and prefill tokens per second, load time and peak memory.")
public final class BenchCommand implements Callable<Integer> {

    /** Which weights to run: a model folder or random weights of a GPT-2 size. */
    static final class ModelChoice {

        @Option(names = "--model", paramLabel = "DIR",
                description = "A Hugging Face GPT-2 folder (config.json and model.safetensors).")
        Path model;

        @Option(names = "--random", paramLabel = "NAME",
                description = "Random weights in the shape of gpt2, gpt2-medium, gpt2-large or gpt2-xl"
                        + " (no download; speed only).")
        String random;
    }

    @Spec
    CommandSpec spec;

    /** {@code --model} or {@code --random}; {@code null} for the default model. */
    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ModelChoice modelChoice;

    @Option(names = "--batch", paramLabel = "N", description = "Sequences decoded together.")
    Integer batch;

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "Length of the prompt to prefill.")
    Integer promptTokens;

    @Option(names = "--new-tokens", paramLabel = "N", description = "New tokens to decode per sequence.")
    Integer newTokens;

    @Option(names = "--json", description = "Print one JSON object with the measurements, and nothing else.")
    boolean json;

    @Override
    public Integer call() {
        // TODO: load or build the model, time prefill and decode, print the medians.
        spec.commandLine().getErr().println(spec.qualifiedName() + ": not implemented yet");
        return ExitCodes.SOFTWARE;
    }
}
