package dev.nexttoken.examples;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.nexttoken.core.CandidateTable;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.ScoreResult;
import dev.nexttoken.tokenizer.TokenText;
import dev.nexttoken.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
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
 * <p>It prints the loss, the perplexity and a table of each token's piece with its
 * {@code -log p} (the first token has none: nothing predicts it). With {@code --json} it prints
 * {@code {"tokens":N,"loss":...,"perplexity":...,"token_losses":[...]}}, where {@code tokens} is
 * the number of tokens and {@code token_losses} holds the N-1 values of tokens 2 to N.
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

    @picocli.CommandLine.Mixin
    DtypeOption dtypeOption;

    @Mixin
    PromptOptions prompt;

    @Mixin
    NanoGptOptions nanoGpt;

    @Option(names = "--json",
            description = "Print one JSON object with the loss, the perplexity and each token's loss, and nothing else.")
    boolean json;

    @Option(names = "--stride", paramLabel = "N",
            description = "Score texts longer than the context in windows that advance N tokens, each token counted"
                    + " once, as in Hugging Face's perplexity guide: a smaller N gives each prediction more context"
                    + " and costs about context/N times the passes (default: the context, consecutive windows).")
    Integer stride;

    /** The {@code --json} output. */
    @JsonPropertyOrder({"tokens", "loss", "perplexity", "token_losses"})
    record Result(int tokens, double loss, double perplexity, @JsonProperty("token_losses") double[] tokenLosses) {
    }

    @Override
    public Integer call() {
        nanoGpt.check(spec);
        Tokenizer tokenizer = Tokenizer.gpt2();
        int[] tokens = prompt.promptTokens(tokenizer);
        if (tokens.length < 2) {
            throw new BadArgumentException("score needs a text of at least 2 tokens (the first is only context),"
                    + " got " + tokens.length);
        }
        Path modelDir = ModelLoader.resolve(prompt.model());
        ScoreResult result;
        try (Generator generator = ModelLoader.load(modelDir, spec.commandLine().getErr(), false, dtypeOption.format)) {
            // the library checks the stride (a usage error with its message, as for the sampling options)
            result = stride == null ? generator.score(tokens) : generator.score(tokens, stride);
        }

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, new Result(tokens.length, result.loss(), result.perplexity(), result.tokenLosses()));
        } else {
            printTable(out, tokenizer, result);
        }
        return ExitCodes.OK;
    }

    private static void printTable(PrintWriter out, Tokenizer tokenizer, ScoreResult result) {
        int[] tokens = result.tokens();
        double[] losses = result.tokenLosses();
        out.printf(Locale.ROOT, "loss        %.6f nats per token (mean over %d predicted tokens)%n",
                result.loss(), losses.length);
        out.printf(Locale.ROOT, "perplexity  %.3f%n", result.perplexity());
        out.println();
        int pieceWidth = "token".length();
        for (int id : tokens) {
            pieceWidth = Math.max(pieceWidth, Math.min(30, TokenText.quote(tokenizer.piece(id)).length()));
        }
        int positionWidth = Math.max(3, String.valueOf(tokens.length - 1).length());
        String row = "%" + positionWidth + "s  %5s  %-" + pieceWidth + "s  %9s%n";
        out.printf(Locale.ROOT, row, "pos", "id", "token", "-log p");
        for (int i = 0; i < tokens.length; i++) {
            String loss = i == 0 ? "" : CandidateTable.number(losses[i - 1], 4);
            out.printf(Locale.ROOT, row, i, tokens[i], TokenText.quote(tokenizer.piece(tokens[i])), loss);
        }
        out.flush();
    }
}
