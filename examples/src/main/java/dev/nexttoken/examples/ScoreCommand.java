package dev.nexttoken.examples;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken score}: the loss and perplexity of a text under the model, the mean over
 * predicting tokens 2 to N from their prefixes.
 *
 * <p>The options are final; the logic waits for {@code dev.nexttoken.core}. With {@code --json}
 * it will print {@code {"tokens":N,"loss":...,"perplexity":...,"token_losses":[...]}}.
 */
@Command(name = "score",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        footerHeading = "%n",
        footer = NextTokenCli.NANOGPT_NOTE,
        description = "Computes the loss (mean cross-entropy, in nats) and perplexity of a text.")
public final class ScoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PromptOptions prompt;

    @Mixin
    NanoGptOptions nanoGpt;

    @Option(names = "--json",
            description = "Print one JSON object with the loss, the perplexity and each token's loss, and nothing else.")
    boolean json;

    @Override
    public Integer call() {
        nanoGpt.check(spec);
        // TODO: load the model of prompt.model(), compute the loss of prompt.promptTokens(tokenizer), print.
        spec.commandLine().getErr().println(spec.qualifiedName() + ": not implemented yet");
        return ExitCodes.SOFTWARE;
    }
}
