package dev.nexttoken.examples;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken generate}: samples continuations of a prompt, nanoGPT's {@code sample.py}.
 *
 * <p>The options are final; the logic waits for {@code dev.nexttoken.core.Generator}. It will map
 * {@link PromptOptions}, {@link SamplingCliOptions} and {@link GenerationCliOptions} to
 * {@code GenerationOptions} and print the samples, or with {@code --json}
 * {@code {"samples":[{"tokens":[...],"text":"...","finish_reason":"length|stop|eos"}],"prompt_tokens":[...]}}.
 */
@Command(name = "generate",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        footerHeading = "%n",
        footer = NextTokenCli.NANOGPT_NOTE,
        description = {
            "Samples continuations of a prompt.",
            "Options not given keep the library's defaults, the same as for next.",
        })
public final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PromptOptions prompt;

    @Mixin
    SamplingCliOptions sampling;

    @Mixin
    GenerationCliOptions generation;

    @Mixin
    NanoGptOptions nanoGpt;

    @Option(names = "--json",
            description = "Print one JSON object with the samples and the prompt's tokens, and nothing else.")
    boolean json;

    @Override
    public Integer call() {
        nanoGpt.check(spec);
        // TODO: Generator.load(prompt.model()), GenerationOptions from sampling and generation, print.
        spec.commandLine().getErr().println(spec.qualifiedName() + ": not implemented yet");
        return ExitCodes.SOFTWARE;
    }
}
