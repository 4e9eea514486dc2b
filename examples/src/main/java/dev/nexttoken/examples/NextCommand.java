package dev.nexttoken.examples;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.NextTokenTable;
import dev.nexttoken.core.TraceCandidate;
import dev.nexttoken.tokenizer.TokenText;
import dev.nexttoken.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken next}: the next-token table for a prompt, exactly the distribution
 * {@code generate} samples its first token from with the same options (options not given keep
 * the library's defaults, as for {@code generate}).
 *
 * <p>The table shows the top {@code --top} candidates with the raw logit, the logit after the
 * processors and the probability, and which token {@code generate} would pick with the seed.
 * With {@code --json} it prints
 * {@code {"prompt_tokens":[...],"candidates":[{"id":...,"token":"...","logit":...,"prob":...}]}}
 * ({@code logit} is the raw lm_head output, {@code prob} the probability after the processors).
 * With {@code --plot FILE.png} it also draws the candidates' probabilities at each
 * {@code --temperature} of a list ({@link NextTokenPlot}); the table is then printed once per
 * temperature.
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

    @picocli.CommandLine.Mixin
    DtypeOption dtypeOption;

    @Mixin
    PromptOptions prompt;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10",
            description = "Show the N most likely candidates (default: ${DEFAULT-VALUE}).")
    int top;

    @Mixin
    SamplingCliOptions sampling;

    @Option(names = "--plot", paramLabel = "FILE.png",
            description = "Also draw the candidates' probabilities as a bar chart into a PNG file;"
                    + " --temperature may then be a list, one series per value (0 is drawn as greedy"
                    + " decoding: probability 1 for the token it picks).")
    Path plot;

    @Mixin
    NanoGptOptions nanoGpt;

    @Option(names = "--json",
            description = "Print one JSON object with the prompt's tokens and the candidates, and nothing else.")
    boolean json;

    /** The {@code --json} output. */
    @JsonPropertyOrder({"prompt_tokens", "candidates"})
    record Result(@JsonProperty("prompt_tokens") int[] promptTokens, List<CandidateJson> candidates) {
    }

    /** One candidate: {@code logit} is the raw lm_head output, {@code prob} after the processors. */
    @JsonPropertyOrder({"id", "token", "logit", "prob"})
    record CandidateJson(int id, String token, double logit, double prob) {

        static CandidateJson of(TraceCandidate c) {
            return new CandidateJson(c.id(), c.token(), c.rawLogit(), c.probability());
        }
    }

    @Override
    public Integer call() {
        nanoGpt.check(spec);
        List<Double> temperatures = sampling.temperatures();
        if (plot == null) {
            sampling.temperature(); // one value only, unless --plot
        } else if (json && temperatures.size() > 1) {
            throw new BadArgumentException("--json prints one distribution: give one --temperature,"
                    + " or leave out --json to see one table per temperature of the --plot");
        }
        if (top < 1) {
            throw new BadArgumentException("--top must be >= 1, got " + top);
        }
        if (plot != null) {
            NextTokenPlot.checkWritable(plot);
        }
        GenerationOptions.Builder builder = GenerationOptions.builder().allowSpecialTokens(prompt.allowSpecial);
        sampling.applyAllButTemperature(builder);
        List<GenerationOptions> options = new ArrayList<>();
        if (temperatures.isEmpty()) {
            options.add(builder.build());
        } else {
            for (double temperature : temperatures) {
                options.add(builder.temperature(temperature).build());
            }
        }
        Tokenizer tokenizer = Tokenizer.gpt2();
        int[] promptTokens = prompt.hasPrompt() ? prompt.promptTokens(tokenizer) : new int[0];
        String promptText = prompt.promptText() != null ? prompt.promptText() : tokenizer.decode(promptTokens);
        Path modelDir = ModelLoader.resolve(prompt.model());

        List<NextTokenTable> tables = new ArrayList<>();
        try (Generator generator = ModelLoader.load(modelDir, spec.commandLine().getErr(), false, dtypeOption.format)) {
            for (GenerationOptions o : options) {
                tables.add(generator.next(promptTokens, o, top));
            }
        }

        if (plot != null) {
            List<Double> plotted = new ArrayList<>();
            for (GenerationOptions o : options) {
                plotted.add(o.sampling().temperature());
            }
            NextTokenPlot.write(plot, promptText, plotted, tables);
            PrintWriter err = spec.commandLine().getErr();
            err.println(spec.qualifiedName() + ": wrote " + plot);
            err.flush();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            NextTokenTable table = tables.get(0);
            Json.print(out, new Result(table.promptTokens(),
                    table.candidates().stream().map(CandidateJson::of).toList()));
        } else {
            printTables(out, promptText, options, tables);
        }
        return ExitCodes.OK;
    }

    private void printTables(PrintWriter out, String promptText, List<GenerationOptions> options,
                             List<NextTokenTable> tables) {
        int promptLength = tables.get(0).promptTokens().length;
        out.println("prompt: " + TokenText.quote(promptText) + " (" + promptLength
                + (promptLength == 1 ? " token)" : " tokens)"));
        for (int i = 0; i < tables.size(); i++) {
            GenerationOptions o = options.get(i);
            NextTokenTable table = tables.get(i);
            out.println();
            double temperature = o.sampling().temperature();
            out.println("temperature " + NextTokenPlot.format(temperature) + (temperature == 0 ? " (greedy)" : ""));
            out.print(table); // NextTokenTable.toString(): the library's table
            out.printf(Locale.ROOT, "generate picks %d %s first (seed %d)%n", table.chosenId(),
                    TokenText.quote(piece(table)), o.seed());
        }
        out.flush();
    }

    /** The chosen token's piece: from the table when it is among the candidates, else the tokenizer's. */
    private static String piece(NextTokenTable table) {
        for (TraceCandidate c : table.candidates()) {
            if (c.id() == table.chosenId()) {
                return c.token();
            }
        }
        return Tokenizer.gpt2().piece(table.chosenId());
    }
}
