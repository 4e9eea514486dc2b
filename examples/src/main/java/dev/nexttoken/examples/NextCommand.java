package dev.nexttoken.examples;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken next}: the next-token table for a prompt, exactly the distribution
 * {@code generate} samples from with the same options.
 *
 * <p>The options are final; the logic waits for {@code dev.nexttoken.core.Generator}. With
 * {@code --json} it will print
 * {@code {"prompt_tokens":[...],"candidates":[{"id":...,"token":"...","logit":...,"prob":...}]}};
 * with {@code --plot} it will draw the top candidates' probabilities, one series per
 * {@code --temperature} value ({@link SamplingCliOptions#temperatures()}).
 */
@Command(name = "next",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        footerHeading = "%n",
        footer = NextTokenCli.NANOGPT_NOTE,
        description = {
            "Shows the most likely next tokens of a prompt, with their logits and probabilities.",
            "Options not given keep the library's defaults, the same as for generate.",
        })
public final class NextCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PromptOptions prompt;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10",
            description = "Show the N most likely candidates (default: ${DEFAULT-VALUE}).")
    int top;

    @Mixin
    SamplingCliOptions sampling;

    @Option(names = "--plot", paramLabel = "FILE.png",
            description = "Also draw the candidates' probabilities into a PNG file;"
                    + " --temperature may then be a list, one series per value.")
    Path plot;

    @Mixin
    NanoGptOptions nanoGpt;

    @Option(names = "--json",
            description = "Print one JSON object with the prompt's tokens and the candidates, and nothing else.")
    boolean json;

    @Override
    public Integer call() {
        nanoGpt.check(spec);
        if (plot == null) {
            sampling.temperature(); // one value only, unless --plot
        }
        // TODO: Generator.load(prompt.model()).next(prompt, options, top); print table, JSON or plot.
        spec.commandLine().getErr().println(spec.qualifiedName() + ": not implemented yet");
        return ExitCodes.SOFTWARE;
    }
}
