package dev.nexttoken.examples;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.nexttoken.core.CandidateTable;
import dev.nexttoken.core.FinishReason;
import dev.nexttoken.core.GenerationListener;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.Sample;
import dev.nexttoken.core.Timings;
import dev.nexttoken.core.TraceCandidate;
import dev.nexttoken.core.TraceStep;
import dev.nexttoken.tokenizer.TokenText;
import dev.nexttoken.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken generate}: samples continuations of a prompt, nanoGPT's {@code sample.py}.
 *
 * <p>It maps {@link PromptOptions}, {@link SamplingCliOptions} and {@link GenerationCliOptions}
 * to {@code GenerationOptions} (options not given keep the library's defaults) and prints each
 * sample's full text (the prompt, then the new text); several samples are set apart by a blank
 * line, or with {@code --separator} each is followed by the line {@value #SEPARATOR}, as
 * {@code sample.py} prints them. With {@code --json} it prints one object instead:
 * {@code {"samples":[{"tokens":[...],"text":"...","finish_reason":"length|stop|eos"}],
 * "prompt_tokens":[...],"timings":{...}}}, where {@code tokens} and {@code text} are the new
 * ones only, and {@code "trace":[...]} follows with {@code --trace}.
 *
 * <p>{@code --stream} prints the text as it comes. The samples of one call run together as a
 * batch, but their text is printed one sample after another, in order, exactly as without
 * {@code --stream}: the lowest-numbered unfinished sample is shown live, the others' pieces are
 * held and printed as soon as it is their turn. With one sample (the default) everything is live.
 * Without a prompt the generation starts from {@code <|endoftext|>}, as GPT-2 starts a text.
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
            "Prints each sample's text (prompt and continuation), several samples set apart by a blank"
                    + " line (--separator: a line of dashes after each, as nanoGPT's sample.py);"
                    + " without a prompt the text starts after <|endoftext|>.",
        })
public final class GenerateCommand implements Callable<Integer> {

    /** The line printed after every sample with {@code --separator}, as {@code sample.py} does. */
    static final String SEPARATOR = "---------------";

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    DtypeOption dtypeOption;

    @Mixin
    PromptOptions prompt;

    @Mixin
    SamplingCliOptions sampling;

    @Mixin
    GenerationCliOptions generation;

    @Mixin
    NanoGptOptions nanoGpt;

    @Mixin
    MemoryMapOption mapOption;

    @Option(names = "--trace", paramLabel = "N",
            description = "Also show, for every new token, the N most likely candidates (logits, probabilities)"
                    + " and the one chosen; with --json as the field \"trace\".")
    Integer trace;

    @Option(names = "--json",
            description = "Print one JSON object with the samples and the prompt's tokens, and nothing else.")
    boolean json;

    @Option(names = "--separator",
            description = "Print a line of dashes after each sample, as nanoGPT's sample.py"
                    + " (without it, several samples are set apart by a blank line).")
    boolean separator;

    /** The {@code --json} output. */
    @JsonPropertyOrder({"samples", "prompt_tokens", "timings", "trace"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Result(List<SampleJson> samples,
                  @JsonProperty("prompt_tokens") int[] promptTokens,
                  TimingsJson timings,
                  List<TraceStepJson> trace) {
    }

    /** One sample: the new token ids, the new text, why it ended. */
    @JsonPropertyOrder({"tokens", "text", "finish_reason"})
    record SampleJson(int[] tokens, String text, @JsonProperty("finish_reason") String finishReason) {

        static SampleJson of(Sample sample) {
            return new SampleJson(sample.tokens(), sample.text(), sample.finishReason().jsonName());
        }
    }

    /** Where the time went, in milliseconds. */
    @JsonPropertyOrder({"load_ms", "prefill_ms", "decode_ms", "decode_steps", "new_tokens"})
    record TimingsJson(@JsonProperty("load_ms") double loadMs,
                       @JsonProperty("prefill_ms") double prefillMs,
                       @JsonProperty("decode_ms") double decodeMs,
                       @JsonProperty("decode_steps") int decodeSteps,
                       @JsonProperty("new_tokens") int newTokens) {

        static TimingsJson of(double loadMillis, Timings timings) {
            return new TimingsJson(round(loadMillis), round(timings.prefillMillis()), round(timings.decodeMillis()),
                    timings.decodeSteps(), timings.newTokens());
        }

        private static double round(double millis) {
            return Math.round(millis * 1000) / 1000.0;
        }
    }

    /** One step of one sample in the trace. */
    @JsonPropertyOrder({"sample", "step", "chosen_id", "candidates"})
    record TraceStepJson(int sample, int step, @JsonProperty("chosen_id") int chosenId,
                         List<TraceCandidateJson> candidates) {

        static TraceStepJson of(TraceStep step) {
            return new TraceStepJson(step.sample(), step.step(), step.chosenId(),
                    step.candidates().stream().map(TraceCandidateJson::of).toList());
        }
    }

    /** One candidate in the trace; {@code processed_logit} is {@code null} for a removed token. */
    @JsonPropertyOrder({"id", "token", "logit", "processed_logit", "prob"})
    record TraceCandidateJson(int id, String token, double logit,
                              @JsonProperty("processed_logit") Double processedLogit, double prob) {

        static TraceCandidateJson of(TraceCandidate c) {
            Double processed = Double.isFinite(c.processedLogit()) ? c.processedLogit() : null;
            return new TraceCandidateJson(c.id(), c.token(), c.rawLogit(), processed, c.probability());
        }
    }

    @Override
    public Integer call() {
        nanoGpt.check(spec);
        if (json && generation.stream) {
            throw new BadArgumentException("--stream and --json exclude each other:"
                    + " --json prints one object once the generation has ended");
        }
        GenerationOptions.Builder builder = GenerationOptions.builder().allowSpecialTokens(prompt.allowSpecial);
        sampling.applyTo(builder);
        generation.applyTo(builder);
        if (trace != null) {
            builder.trace(trace);
        }
        GenerationOptions options = builder.build();
        Tokenizer tokenizer = Tokenizer.gpt2();
        int[] promptTokens = prompt.hasPrompt() ? prompt.promptTokens(tokenizer) : new int[0];
        String promptText = prompt.promptText() != null ? prompt.promptText() : tokenizer.decode(promptTokens);
        Path modelDir = ModelLoader.resolve(prompt.model());

        PrintWriter out = spec.commandLine().getOut();
        long loadStart = System.nanoTime();
        try (Generator generator = ModelLoader.load(modelDir, spec.commandLine().getErr(), mapOption.memoryMapped,
                dtypeOption.format)) {
            double loadMillis = (System.nanoTime() - loadStart) / 1e6;
            if (generation.stream) {
                StreamPrinter printer = new StreamPrinter(out, new SampleLayout(separator), promptText,
                        options.numSamples());
                printer.begin();
                GenerationResult result = generator.generate(promptTokens, options, printer);
                printer.end();
                printTrace(out, tokenizer, result.trace());
            } else {
                GenerationResult result = generator.generate(promptTokens, options);
                if (json) {
                    Json.print(out, new Result(result.samples().stream().map(SampleJson::of).toList(),
                            result.promptTokens(), TimingsJson.of(loadMillis, result.timings()),
                            trace == null ? null : result.trace().stream().map(TraceStepJson::of).toList()));
                } else {
                    SampleLayout layout = new SampleLayout(separator);
                    for (int i = 0; i < result.samples().size(); i++) {
                        layout.start(out, i);
                        out.print(promptText + result.samples().get(i).text());
                        layout.end(out);
                    }
                    printTrace(out, tokenizer, result.trace());
                }
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The trace as one table per sample and step, after the samples. */
    private static void printTrace(PrintWriter out, Tokenizer tokenizer, List<TraceStep> trace) {
        if (trace.isEmpty()) {
            return;
        }
        List<TraceStep> steps = new ArrayList<>(trace);
        steps.sort(Comparator.comparingInt(TraceStep::sample).thenComparingInt(TraceStep::step));
        for (TraceStep step : steps) {
            out.println();
            out.println("sample " + step.sample() + ", step " + step.step() + ": chose " + step.chosenId() + " "
                    + TokenText.quote(tokenizer.piece(step.chosenId())));
            out.print(CandidateTable.format(step.candidates(), step.chosenId(), "  "));
        }
        out.flush();
    }

    /**
     * How samples are set apart, the same with and without {@code --stream}: a blank line
     * between them, or with {@code --separator} sample.py's line of dashes after each.
     *
     * @param separator whether {@code --separator} was given
     */
    record SampleLayout(boolean separator) {

        /** Before the text of sample {@code sample}. */
        void start(PrintWriter out, int sample) {
            if (sample > 0 && !separator) {
                out.println();
            }
        }

        /** After a sample's text. */
        void end(PrintWriter out) {
            out.println();
            if (separator) {
                out.println(SEPARATOR);
            }
        }
    }

    /**
     * Prints streamed text in sample order: the lowest-numbered unfinished sample live, the
     * others held until their turn; each sample's text is the prompt and its pieces, set apart
     * as {@link SampleLayout} says, exactly what the non-streaming output holds.
     */
    static final class StreamPrinter implements GenerationListener {

        private final PrintWriter out;
        private final SampleLayout layout;
        private final String promptText;
        private final StringBuilder[] held;
        private final boolean[] finished;
        private int current;
        private boolean currentStarted;

        StreamPrinter(PrintWriter out, SampleLayout layout, String promptText, int samples) {
            this.out = out;
            this.layout = layout;
            this.promptText = promptText;
            this.held = new StringBuilder[samples];
            this.finished = new boolean[samples];
            for (int i = 0; i < samples; i++) {
                held[i] = new StringBuilder();
            }
        }

        /** Prints the prompt of the first sample before the model runs. */
        void begin() {
            drain();
        }

        @Override
        public void onToken(int sample, int tokenId, String text) {
            held[sample].append(text);
            if (sample == current) {
                drain();
            }
        }

        @Override
        public void onFinish(int sample, FinishReason reason, String remainingText) {
            held[sample].append(remainingText);
            finished[sample] = true;
            drain();
        }

        /** Prints whatever is held that may be printed now; a safety net if a sample never finished. */
        void end() {
            java.util.Arrays.fill(finished, true);
            drain();
        }

        private void drain() {
            while (current < held.length) {
                if (!currentStarted) {
                    layout.start(out, current);
                    out.print(promptText);
                    currentStarted = true;
                }
                out.print(held[current]);
                held[current].setLength(0);
                if (!finished[current]) {
                    break;
                }
                layout.end(out);
                current++;
                currentStarted = false;
            }
            out.flush();
        }
    }
}
