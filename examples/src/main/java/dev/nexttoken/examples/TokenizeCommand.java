package dev.nexttoken.examples;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.nexttoken.tokenizer.SpecialTokens;
import dev.nexttoken.tokenizer.TokenText;
import dev.nexttoken.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken tokenize}: how GPT-2 splits a text into tokens, as a table of ids and pieces or
 * as JSON ({@code {"tokens":[15496,995],"pieces":["Hello"," world"]}}). Given {@code --tokens}
 * instead of a text, it shows the pieces of those ids. It needs no model and does not start Nd4j.
 */
@Command(name = "tokenize",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Shows how GPT-2 splits a text into tokens: each token's id and its piece of text.",
            "Pieces are shown in quotes (a leading space is part of the token); bytes that are not"
                    + " a whole UTF-8 character read \\xNN.",
        })
public final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptInput input;

    @Option(names = "--allow-special",
            description = "Read <|endoftext|> in the text as GPT-2's end-of-text token (id 50256)"
                    + " instead of as plain text (7 ordinary tokens).")
    boolean allowSpecial;

    @Option(names = "--json",
            description = "Print one JSON object, {\"tokens\":[...],\"pieces\":[...]}, and nothing else.")
    boolean json;

    /** The {@code --json} output. */
    @JsonPropertyOrder({"tokens", "pieces"})
    record Result(int[] tokens, List<String> pieces) {
    }

    @Override
    public Integer call() {
        Tokenizer tokenizer = Tokenizer.gpt2();
        int[] ids = input.ids(tokenizer, allowSpecial ? SpecialTokens.ALLOWED : SpecialTokens.AS_TEXT);
        List<String> pieces = new ArrayList<>(ids.length);
        for (int id : ids) {
            pieces.add(tokenizer.piece(id));
        }

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, new Result(ids, pieces));
        } else {
            printTable(out, ids, pieces);
        }
        return ExitCodes.OK;
    }

    /** One row per token: its position, its id and its quoted piece; then the count. */
    private static void printTable(PrintWriter out, int[] ids, List<String> pieces) {
        int positionWidth = Math.max(3, String.valueOf(Math.max(0, ids.length - 1)).length());
        String row = "%" + positionWidth + "s  %5s  %s%n";
        out.printf(row, "pos", "id", "piece");
        for (int i = 0; i < ids.length; i++) {
            out.printf(row, i, ids[i], TokenText.quote(pieces.get(i)));
        }
        out.println(ids.length == 1 ? "1 token" : ids.length + " tokens");
        out.flush();
    }
}
