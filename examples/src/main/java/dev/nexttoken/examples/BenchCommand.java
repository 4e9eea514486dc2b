package dev.nexttoken.examples;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.nexttoken.core.Generation;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.Timings;
import dev.nexttoken.core.io.ConfigJson;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.io.SafetensorsFile;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken bench}: decode and prefill speed, time to first token, load time and memory,
 * measured end to end through {@link Generator#generate} (model, processors and sampling), with
 * nanoGPT's sampling defaults (temperature 0.8, top-k 200) and end-of-text ignored so every run
 * decodes the same number of tokens.
 *
 * <p>Each of {@code --repeat} runs prefills a prompt of {@code --prompt-tokens} random ids and
 * decodes {@code --new-tokens} tokens for each of {@code --batch} samples; {@code --warmup} runs
 * come first and are not counted. {@code load_s} is the model's loading alone (or the making of
 * random weights), timed after Nd4j and the tokenizer have started ({@code startup_s}). It
 * reports medians and min–max; {@code --json} prints
 * {@code {"decode_tokens_per_s":…,"prefill_tokens_per_s":…,"load_s":…,"peak_rss_mb":…, …}}
 * where decode counts the new tokens of the whole batch.
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

    @picocli.CommandLine.Mixin
    DtypeOption dtypeOption;

    /** {@code --model} or {@code --random}; {@code null} for the default model. */
    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ModelChoice modelChoice;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1",
            description = "Sequences decoded together (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--together", description = "Decode the --batch sequences as that many separate generations"
            + " stepped together (Generator.stepTogether: a server's continuous batching), each prefilled alone,"
            + " instead of one generation of --batch samples.")
    boolean together;

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "16",
            description = "Length of the prompt to prefill (default ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--new-tokens", paramLabel = "N", defaultValue = "256",
            description = "New tokens to decode per sequence (default ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1",
            description = "Runs before measuring (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "3",
            description = "Measured runs; medians are reported (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--json", description = "Print one JSON object with the measurements, and nothing else.")
    boolean json;

    @Mixin
    MemoryMapOption mapOption;

    @Option(names = "--write-model", paramLabel = "DIR",
            description = "With --random: write the random weights as a Hugging Face folder (config.json,"
                    + " F32 model.safetensors) to DIR and stop, so later runs can time loading with --model DIR.")
    Path writeModel;

    /** What one bench run measured; medians with min and max over the repeats. */
    @JsonPropertyOrder({"model", "compute_path", "kernel", "weight_format", "batch", "together", "prompt_tokens", "new_tokens", "repeat",
            "decode_tokens_per_s", "decode_tokens_per_s_min", "decode_tokens_per_s_max",
            "decode_tokens_per_s_per_sequence", "decode_ms_per_step",
            "prefill_tokens_per_s", "prefill_tokens_per_s_min", "prefill_tokens_per_s_max",
            "time_to_first_token_ms", "startup_s", "load_s", "weights_mb", "peak_rss_mb"})
    record Report(
            @JsonProperty("model") String model,
            @JsonProperty("compute_path") String computePath,
            @JsonProperty("kernel") String kernel,
            @JsonProperty("weight_format") String weightFormat,
            @JsonProperty("batch") int batch,
            @JsonProperty("together") boolean together,
            @JsonProperty("prompt_tokens") int promptTokens,
            @JsonProperty("new_tokens") int newTokens,
            @JsonProperty("repeat") int repeat,
            @JsonProperty("decode_tokens_per_s") double decodeTokensPerS,
            @JsonProperty("decode_tokens_per_s_min") double decodeMin,
            @JsonProperty("decode_tokens_per_s_max") double decodeMax,
            @JsonProperty("decode_tokens_per_s_per_sequence") double decodePerSequence,
            @JsonProperty("decode_ms_per_step") double decodeMsPerStep,
            @JsonProperty("prefill_tokens_per_s") double prefillTokensPerS,
            @JsonProperty("prefill_tokens_per_s_min") double prefillMin,
            @JsonProperty("prefill_tokens_per_s_max") double prefillMax,
            @JsonProperty("time_to_first_token_ms") double timeToFirstTokenMs,
            @JsonProperty("startup_s") double startupS,
            @JsonProperty("load_s") double loadS,
            @JsonProperty("weights_mb") double weightsMb,
            @JsonProperty("peak_rss_mb") double peakRssMb) {
    }

    @Override
    public Integer call() {
        check(batch >= 1 && batch <= GenerationOptions.MAX_SAMPLES, "--batch must be in [1, "
                + GenerationOptions.MAX_SAMPLES + "], got " + batch);
        check(promptTokens >= 1, "--prompt-tokens must be >= 1, got " + promptTokens);
        check(newTokens >= 2, "--new-tokens must be >= 2, got " + newTokens);
        check(warmup >= 0, "--warmup must be >= 0, got " + warmup);
        check(repeat >= 1, "--repeat must be >= 1, got " + repeat);
        PrintWriter err = spec.commandLine().getErr();

        // Start Nd4j's backend and the tokenizer first: load_s is the model's own loading time.
        long startupStart = System.nanoTime();
        Nd4jStartup.start();
        Tokenizer.gpt2();
        double startupSeconds = (System.nanoTime() - startupStart) / 1e9;

        long loadStart = System.nanoTime();
        String name;
        Generator generator;
        if (modelChoice != null && modelChoice.random != null) {
            check(!mapOption.memoryMapped, "--mmap needs --model DIR (random weights are made in memory, not read from a file)");
            check(dtypeOption.format == null, "--dtype needs --model DIR (convert random weights with --write-model"
                    + " and nexttoken convert)");
            Gpt2Config config;
            try {
                config = Gpt2Config.preset(modelChoice.random);
            } catch (IllegalArgumentException e) {
                throw new BadArgumentException("--random: " + e.getMessage());
            }
            name = "random " + modelChoice.random;
            if (!json) {
                err.println("making random " + modelChoice.random + " weights ("
                        + config.parameterCount() / 1_000_000 + " M parameters)...");
            }
            Gpt2Weights weights = Gpt2Weights.random(config, 1);
            if (writeModel != null) {
                return writeFolder(weights, config, err);
            }
            generator = new Generator(new Gpt2Model(weights), Tokenizer.gpt2());
        } else {
            check(writeModel == null, "--write-model needs --random NAME");
            Path dir = ModelLoader.resolve(modelChoice == null ? null : modelChoice.model);
            name = dir.toString();
            generator = ModelLoader.load(dir, err, mapOption.memoryMapped, dtypeOption.format);
        }
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;

        try (generator) {
            Gpt2Config config = generator.model().config();
            int[] prompt = randomPrompt(promptTokens, config.vocabSize());
            GenerationOptions options = GenerationOptions.builder()
                    .maxNewTokens(newTokens).numSamples(batch).stopAtEndOfText(false).seed(1).build();
            for (int i = 0; i < warmup; i++) {
                if (together) {
                    runTogether(generator, prompt);
                } else {
                    generator.generate(prompt, options, null);
                }
                if (!json) {
                    err.println("warm-up " + (i + 1) + "/" + warmup + " done");
                }
            }
            double[] decode = new double[repeat];
            double[] prefill = new double[repeat];
            double[] firstToken = new double[repeat];
            double[] perStep = new double[repeat];
            for (int i = 0; i < repeat; i++) {
                Timings t = together ? runTogether(generator, prompt)
                        : generator.generate(prompt, options, null).timings();
                decode[i] = batch * t.decodeSteps() / (t.decodeMillis() / 1000);
                perStep[i] = t.millisPerDecodeStep();
                firstToken[i] = t.prefillMillis();
                prefill[i] = Math.min(promptTokens, config.nPositions()) / (t.prefillMillis() / 1000);
                if (!json) {
                    err.printf("run %d/%d: decode %.1f tokens/s, prefill %.1f tokens/s%n", i + 1, repeat, decode[i], prefill[i]);
                }
            }
            double weightsMb = generator.model().weights().byteSize() / (double) (1 << 20);
            Report report = new Report(name, generator.model().computePath().name(), generator.kernel(),
                    generator.model().weights().format().name().toLowerCase(java.util.Locale.ROOT), batch, together, promptTokens,
                    newTokens, repeat, median(decode), min(decode), max(decode), median(decode) / batch,
                    median(perStep), median(prefill), min(prefill), max(prefill), median(firstToken),
                    startupSeconds, loadSeconds, weightsMb, peakRssMb());
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Json.print(out, report);
            } else {
                printHuman(out, report);
            }
            out.flush();
        }
        return ExitCodes.OK;
    }

    /**
     * {@code --batch} generations of one sample each (seeds 1, 2, …), each prefilled by itself as
     * a server's newcomer is, then stepped together until they end. The timings are of the wall
     * clock: the first one's prefill, and the joint decode steps.
     */
    private Timings runTogether(Generator generator, int[] prompt) {
        List<Generation> generations = new ArrayList<>(batch);
        try {
            double prefillMillis = 0;
            for (int i = 0; i < batch; i++) {
                Generation g = generator.begin(prompt, GenerationOptions.builder().maxNewTokens(newTokens)
                        .stopAtEndOfText(false).seed(1 + i).build(), null);
                generations.add(g);
                long start = System.nanoTime();
                generator.stepTogether(List.of(g));                                  // its prefill
                if (i == 0) {
                    prefillMillis = (System.nanoTime() - start) / 1e6;
                }
            }
            int steps = 0;
            long start = System.nanoTime();
            while (!generations.stream().allMatch(Generation::isDone)) {
                generator.stepTogether(generations);
                steps++;
            }
            double decodeMillis = (System.nanoTime() - start) / 1e6;
            return new Timings(prefillMillis, decodeMillis, steps, batch * (steps + 1));
        } finally {
            generations.forEach(Generation::close);
        }
    }

    private int writeFolder(Gpt2Weights weights, Gpt2Config config, PrintWriter err) {
        try (weights) {
            Files.createDirectories(writeModel);
            ConfigJson.write(config, writeModel.resolve("config.json"));
            SafetensorsFile.write(writeModel.resolve("model.safetensors"), weights.toTensorMap(), Dtype.F32);
        } catch (IOException e) {
            throw new BadArgumentException("--write-model: cannot create " + writeModel + ": " + e.getMessage());
        }
        err.println("wrote " + writeModel);
        return ExitCodes.OK;
    }

    private static void printHuman(PrintWriter out, Report r) {
        out.printf("model            %s (%s, %.0f MB of weights, matrices in %s)%n", r.model(), r.computePath(),
                r.weightsMb(), r.weightFormat());
        out.printf("kernel           %s%n", r.kernel());
        out.printf("batch            %d%s, prompt %d tokens, %d new tokens, %d runs (medians, min-max)%n",
                r.batch(), r.together() ? " generations stepped together" : "", r.promptTokens(), r.newTokens(),
                r.repeat());
        out.printf("decode           %.1f tokens/s in total (%.1f - %.1f), %.1f per sequence, %.2f ms per step%n",
                r.decodeTokensPerS(), r.decodeMin(), r.decodeMax(), r.decodePerSequence(), r.decodeMsPerStep());
        out.printf("prefill          %.1f tokens/s (%.1f - %.1f)%n", r.prefillTokensPerS(), r.prefillMin(), r.prefillMax());
        out.printf("first token      %.1f ms%n", r.timeToFirstTokenMs());
        out.printf("load             %.2f s (after %.2f s of Nd4j and tokenizer start-up)%n", r.loadS(), r.startupS());
        out.printf("peak resident    %.0f MB%n", r.peakRssMb());
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new BadArgumentException(message);
        }
    }

    private static int[] randomPrompt(int length, int vocab) {
        SplittableRandom random = new SplittableRandom(42);
        return random.ints(length, 0, Math.min(vocab, 50000)).toArray();
    }

    /** The process's peak resident memory (VmHWM), or -1 where /proc is not available. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
