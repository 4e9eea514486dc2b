package dev.nexttoken.examples;

import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.train.Checkpoint;
import dev.nexttoken.core.train.DataSplit;
import dev.nexttoken.core.train.Evaluation;
import dev.nexttoken.core.train.StepResult;
import dev.nexttoken.core.train.TokenData;
import dev.nexttoken.core.train.TokenFormat;
import dev.nexttoken.core.train.TrainOptions;
import dev.nexttoken.core.train.Trainer;
import dev.nexttoken.core.train.TrainingListener;
import dev.nexttoken.core.train.TrainingResult;
import dev.nexttoken.core.train.UnigramBaseline;
import dev.nexttoken.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nexttoken train}: trains a GPT-2 on text files with nanoGPT's recipe (AdamW, warm-up and
 * cosine decay, gradient clipping, random windows, a held-out validation split) and writes a
 * Hugging Face GPT-2 folder that {@code --model} loads.
 *
 * <p>Each {@code --data} file is tokenized with the GPT-2 tokenizer once; its tokens are cached
 * beside it as {@code FILE.tokens.bin} (nanoGPT's uint16 format) and reused while the cache is
 * newer than the text. The files' tokens are joined with {@code <|endoftext|>} between files, and
 * the last {@code --val-fraction} of them is held out. Progress goes to standard error (a bar on
 * a terminal, a line every few percent otherwise); the final losses, beside the unigram baseline
 * of the same split, go to standard output.
 */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Trains a GPT-2 on text files (nanoGPT's recipe) and writes a model folder for --model.",
            "The output folder holds config.json and model.safetensors, and training/ with what --resume needs:",
            "the last complete checkpoint, which a crash at any moment leaves intact.",
        })
public final class TrainCommand implements Callable<Integer> {

    /** The cached token file of a text file is this suffix after the text file's name. */
    static final String TOKEN_CACHE_SUFFIX = ".tokens.bin";

    private static final int DEFAULT_N_LAYER = 4;
    private static final int DEFAULT_N_HEAD = 4;
    private static final int DEFAULT_N_EMBD = 128;
    private static final int DEFAULT_BLOCK_SIZE = 128;

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "FILE", arity = "1..*", required = true,
            description = "UTF-8 text files to train on.")
    List<Path> data;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "Where to write the model folder (each evaluation's checkpoint replaces the last).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the run whose checkpoint is in DIR (weights, optimizer state, step, data order);"
                    + " the model's shape and the run's options come from it, except those given here"
                    + " (each that differs is named).")
    Path resume;

    @Option(names = "--n-layer", paramLabel = "N", description = "Transformer blocks (default: "
            + DEFAULT_N_LAYER + ").")
    Integer nLayer;

    @Option(names = "--n-head", paramLabel = "N", description = "Attention heads per block (default: "
            + DEFAULT_N_HEAD + ").")
    Integer nHead;

    @Option(names = "--n-embd", paramLabel = "N", description = "Width of the residual stream, a multiple of"
            + " --n-head (default: " + DEFAULT_N_EMBD + ").")
    Integer nEmbd;

    @Option(names = "--block-size", paramLabel = "N", description = "Tokens of context per window; also the"
            + " model's n_positions (default: " + DEFAULT_BLOCK_SIZE + ").")
    Integer blockSize;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "16",
            description = "Windows per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--max-steps", paramLabel = "N", defaultValue = "1000",
            description = "Optimizer steps of the whole run, those before a --resume included (default: ${DEFAULT-VALUE}).")
    long maxSteps;

    @Option(names = "--learning-rate", paramLabel = "LR", defaultValue = "1e-3",
            description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--min-learning-rate", paramLabel = "LR",
            description = "Learning rate at the end of the cosine decay (default: a tenth of --learning-rate).")
    Double minLearningRate;

    @Option(names = "--warmup-steps", paramLabel = "N",
            description = "Steps of linear warm-up (default: 100, or a tenth of --max-steps if less).")
    Long warmupSteps;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "0.1",
            description = "AdamW's weight decay, applied to weight matrices only (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--eval-interval", paramLabel = "N", defaultValue = "250",
            description = "Steps between evaluations and checkpoints (default: ${DEFAULT-VALUE}).")
    long evalInterval;

    @Option(names = "--eval-batches", paramLabel = "N", defaultValue = "20",
            description = "Batches per split averaged in an evaluation (default: ${DEFAULT-VALUE}).")
    int evalBatches;

    @Option(names = "--val-fraction", paramLabel = "F", defaultValue = "0.1",
            description = "Share of the tokens, at the end, held out for validation (default: ${DEFAULT-VALUE}).")
    double valFraction;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1337",
            description = "Seeds the initial weights and the order of the windows (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--dtype", paramLabel = "F32|F16", defaultValue = "F32",
            description = "Weight type of the written model.safetensors: F32 or F16 (half the size)"
                    + " (default: ${DEFAULT-VALUE}).")
    String dtype;

    /** Whether to draw a bar; null: when standard error is a terminal. For tests. */
    Boolean progressBar;

    @Override
    public Integer call() {
        Dtype weightType = parseDtype();
        PrintWriter err = spec.commandLine().getErr();
        Gpt2Config config = resume != null ? resumedConfig() : newConfig();
        Nd4jStartup.start();
        TrainOptions saved = resume != null ? savedOptions() : null;
        TrainOptions options = options(saved, config, err);
        if (options.blockSize() > config.nPositions()) {
            throw new BadArgumentException("--block-size " + options.blockSize() + " is larger than the checkpoint's"
                    + " context, n_positions=" + config.nPositions());
        }

        int[] tokens = loadTokens(err);
        DataSplit split = DataSplit.of(TokenData.of(tokens), valFraction);
        if (split.train().size() < options.blockSize() + 1L || split.validation().size() < options.blockSize() + 1L) {
            throw new BadArgumentException("--data: " + tokens.length + " tokens split into " + split.train().size()
                    + " to train on and " + split.validation().size() + " to validate; each needs at least one window of "
                    + (options.blockSize() + 1) + " tokens: give more text, another --val-fraction or a smaller --block-size");
        }
        double baseline = UnigramBaseline.loss(split.train(), split.validation(), config.vocabSize());
        err.printf(Locale.ROOT, "data: %,d tokens from %d file%s: %,d to train on, %,d held out%n", tokens.length,
                data.size(), data.size() == 1 ? "" : "s", split.train().size(), split.validation().size());
        err.printf(Locale.ROOT, "model: %d layers, %d heads, width %d, context %d: %,d parameters%n",
                config.nLayer(), config.nHead(), config.nEmbd(), config.nPositions(), config.parameterCount());
        err.printf(Locale.ROOT, "unigram baseline: val loss %.4f, perplexity %.1f%n", baseline, Math.exp(baseline));
        err.flush();

        Trainer trainer;
        if (resume != null) {
            trainer = Trainer.resume(resume, options, split);
            err.printf(Locale.ROOT, "resuming %s at step %d of %d%n", resume, trainer.stepsDone(), options.maxSteps());
        } else {
            try (Gpt2Weights initial = Gpt2Weights.random(config, seed)) {
                trainer = Trainer.start(initial, options, split);
            }
        }
        TrainingResult result;
        try (Progress progress = new Progress(err, useBar(), trainer.stepsDone(), options.maxSteps())) {
            result = trainer.run(out, weightType, progress);
        }

        Evaluation last = result.evaluation();
        err.printf(Locale.ROOT, "wrote %s (config.json, model.safetensors %s) after %d steps; this run: %,d tokens"
                + " in %s%n", out, weightType, result.steps(), result.tokens(), duration(result.seconds()));
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "step %d: train loss %.4f, val loss %.4f, val perplexity %.2f"
                        + " (unigram baseline: val loss %.4f, perplexity %.2f)%n",
                result.steps(), last.trainLoss(), last.validationLoss(), last.validationPerplexity(),
                baseline, Math.exp(baseline));
        stdout.flush();
        return ExitCodes.OK;
    }

    private Dtype parseDtype() {
        String name = dtype.toUpperCase(Locale.ROOT);
        if (name.equals("F32")) {
            return Dtype.F32;
        }
        if (name.equals("F16")) {
            return Dtype.F16;
        }
        throw new BadArgumentException("--dtype must be F32 or F16, got '" + dtype + "'");
    }

    /**
     * The hyper-parameters, each checked with the option's name in the message. A new run takes
     * the options' values (defaults included); a resumed run takes its checkpoint's (when the
     * checkpoint keeps them) except for the options given on this command line, and says which
     * of those differ from the checkpoint's.
     */
    private TrainOptions options(TrainOptions saved, Gpt2Config config, PrintWriter err) {
        int block = blockSize != null ? blockSize : saved != null ? saved.blockSize() : config.nPositions();
        atLeast("--block-size", block, 1);
        atLeast("--batch-size", batchSize, 1);
        atLeast("--max-steps", maxSteps, 1);
        atLeast("--eval-interval", evalInterval, 1);
        atLeast("--eval-batches", evalBatches, 1);
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new BadArgumentException("--learning-rate must be positive, got " + learningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new BadArgumentException("--weight-decay must be at least 0, got " + weightDecay);
        }
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new BadArgumentException("--val-fraction must be in (0, 1), got " + valFraction);
        }
        TrainOptions.Builder builder = saved != null ? saved.toBuilder() : TrainOptions.builder();
        builder.blockSize(block);
        if (given("--batch-size", saved)) {
            builder.batchSize(batchSize);
        }
        long steps = given("--max-steps", saved) ? maxSteps : saved.maxSteps();
        builder.maxSteps(steps).decaySteps(steps);
        double rate = given("--learning-rate", saved) ? learningRate : saved.learningRate();
        builder.learningRate(rate);
        if (minLearningRate != null) {
            if (!(minLearningRate >= 0 && minLearningRate <= rate)) {
                throw new BadArgumentException("--min-learning-rate must be in [0, --learning-rate " + rate
                        + "], got " + minLearningRate);
            }
            builder.minLearningRate(minLearningRate);
        } else if (saved == null || given("--learning-rate", saved)) {
            builder.minLearningRate(rate / 10);
        }
        if (warmupSteps != null) {
            if (warmupSteps < 0 || warmupSteps > steps) {
                throw new BadArgumentException("--warmup-steps must be in [0, --max-steps " + steps + "], got "
                        + warmupSteps);
            }
            builder.warmupSteps(warmupSteps);
        } else if (saved == null) {
            builder.warmupSteps(Math.min(100, steps / 10));
        }
        if (given("--weight-decay", saved)) {
            builder.weightDecay(weightDecay);
        }
        if (given("--eval-interval", saved)) {
            builder.evalInterval(evalInterval);
        }
        if (given("--eval-batches", saved)) {
            builder.evalBatches(evalBatches);
        }
        if (given("--seed", saved)) {
            builder.seed(seed);
        }
        TrainOptions options;
        try {
            options = builder.build();
        } catch (IllegalArgumentException e) {
            throw new BadArgumentException(e.getMessage(), e);
        }
        if (saved != null) {
            reportChanges(saved, options, err);
        }
        return options;
    }

    /** Whether an option's value counts: always in a new run; in a resumed one, when given on the command line. */
    private boolean given(String option, TrainOptions saved) {
        return saved == null || spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** One note per hyper-parameter of a resumed run that differs from its checkpoint's. */
    private static void reportChanges(TrainOptions saved, TrainOptions now, PrintWriter err) {
        String[][] pairs = {
                {"--batch-size", String.valueOf(saved.batchSize()), String.valueOf(now.batchSize())},
                {"--block-size", String.valueOf(saved.blockSize()), String.valueOf(now.blockSize())},
                {"--max-steps", String.valueOf(saved.maxSteps()), String.valueOf(now.maxSteps())},
                {"--learning-rate", String.valueOf(saved.learningRate()), String.valueOf(now.learningRate())},
                {"--min-learning-rate", String.valueOf(saved.minLearningRate()), String.valueOf(now.minLearningRate())},
                {"--warmup-steps", String.valueOf(saved.warmupSteps()), String.valueOf(now.warmupSteps())},
                {"--weight-decay", String.valueOf(saved.weightDecay()), String.valueOf(now.weightDecay())},
                {"--eval-interval", String.valueOf(saved.evalInterval()), String.valueOf(now.evalInterval())},
                {"--eval-batches", String.valueOf(saved.evalBatches()), String.valueOf(now.evalBatches())},
                {"--seed", String.valueOf(saved.seed()), String.valueOf(now.seed())}};
        for (String[] p : pairs) {
            if (!p[1].equals(p[2])) {
                err.printf(Locale.ROOT, "note: %s %s, where the checkpoint's run had %s%n", p[0], p[2], p[1]);
            }
        }
    }

    /** The options kept in the {@code --resume} checkpoint, or null (with a note) for an older checkpoint. */
    private TrainOptions savedOptions() {
        try {
            Optional<TrainOptions> saved = Checkpoint.savedOptions(resume);
            if (saved.isEmpty()) {
                spec.commandLine().getErr().println("note: the checkpoint does not keep its run's options (written"
                        + " by an older nexttoken): this run's options and defaults apply");
            }
            return saved.orElse(null);
        } catch (ModelLoadException e) {
            throw new BadArgumentException("--resume " + e.getMessage(), e);
        }
    }

    private static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new BadArgumentException(option + " must be at least " + min + ", got " + value);
        }
    }

    /**
     * The shape of the {@code --resume} checkpoint, once checked complete and consistent (so that a
     * bad one is refused before any work); the shape options must agree with it or be left out.
     */
    private Gpt2Config resumedConfig() {
        Gpt2Config saved;
        try {
            saved = Checkpoint.verifiedConfig(resume);
        } catch (ModelLoadException e) {
            throw new BadArgumentException("--resume " + e.getMessage(), e);
        }
        requireSame("--n-layer", nLayer, saved.nLayer());
        requireSame("--n-head", nHead, saved.nHead());
        requireSame("--n-embd", nEmbd, saved.nEmbd());
        return saved;
    }

    private static void requireSame(String option, Integer given, int saved) {
        if (given != null && given != saved) {
            throw new BadArgumentException(option + " " + given + " differs from the checkpoint's " + saved
                    + "; leave it out when resuming");
        }
    }

    private Gpt2Config newConfig() {
        int layers = nLayer != null ? nLayer : DEFAULT_N_LAYER;
        int heads = nHead != null ? nHead : DEFAULT_N_HEAD;
        int width = nEmbd != null ? nEmbd : DEFAULT_N_EMBD;
        int context = blockSize != null ? blockSize : DEFAULT_BLOCK_SIZE;
        try {
            return new Gpt2Config(layers, heads, width, context, Tokenizer.gpt2().vocabSize(),
                    Gpt2Config.DEFAULT_LAYER_NORM_EPSILON);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage().replace("n_layer", "--n-layer").replace("n_head", "--n-head")
                    .replace("n_embd", "--n-embd").replace("n_positions", "--block-size");
            throw new BadArgumentException(message, e);
        }
    }

    private boolean useBar() {
        return progressBar != null ? progressBar : LoadProgress.stderrIsTerminal();
    }

    // ------------------------------------------------------------------------------------------
    // Data

    /** The tokens of every {@code --data} file, end-of-text between files. */
    private int[] loadTokens(PrintWriter err) {
        Tokenizer tokenizer = Tokenizer.gpt2();
        int[][] parts = new int[data.size()][];
        long total = 0;
        for (int i = 0; i < parts.length; i++) {
            parts[i] = tokensOf(data.get(i), tokenizer, err);
            total += parts[i].length + (i > 0 ? 1 : 0);
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new BadArgumentException("--data: " + total + " tokens in all; at most " + (Integer.MAX_VALUE - 8)
                    + " fit in memory at once");
        }
        int[] all = new int[(int) total];
        int at = 0;
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                all[at++] = tokenizer.endOfTextId();
            }
            System.arraycopy(parts[i], 0, all, at, parts[i].length);
            at += parts[i].length;
        }
        return all;
    }

    /** A file's tokens: from its cache when that is newer than the text, else tokenized (and cached). */
    static int[] tokensOf(Path file, Tokenizer tokenizer, PrintWriter err) {
        Path absolute = file.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            throw new BadArgumentException("--data: " + absolute + " is a directory, not a text file");
        }
        Path cache = absolute.resolveSibling(absolute.getFileName() + TOKEN_CACHE_SUFFIX);
        try {
            if (Files.isRegularFile(cache)
                    && Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(absolute)) > 0) {
                return TokenData.open(cache, TokenFormat.UINT16).toArray();
            }
        } catch (NoSuchFileException e) {
            throw new BadArgumentException("--data: no such file: " + absolute, e);
        } catch (IOException | RuntimeException e) {
            err.println("note: cannot read the token cache " + cache + " (" + e.getMessage() + "); tokenizing again");
        }
        String text;
        try {
            text = Files.readString(absolute, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadArgumentException("--data: no such file: " + absolute, e);
        } catch (AccessDeniedException e) {
            throw new BadArgumentException("--data: permission denied: " + absolute, e);
        } catch (CharacterCodingException e) {
            throw new BadArgumentException("--data: " + absolute + " is not valid UTF-8", e);
        } catch (IOException e) {
            throw new BadArgumentException("--data: cannot read " + absolute + ": " + e.getMessage(), e);
        }
        int[] tokens = tokenizer.encode(text);
        try {
            TokenData.write(cache, tokens, TokenFormat.UINT16);
        } catch (RuntimeException e) {
            err.println("note: cannot write the token cache " + cache + " (" + e.getMessage() + "); continuing without");
        }
        return tokens;
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60)
                : String.format(Locale.ROOT, "%.1fs", seconds);
    }

    // ------------------------------------------------------------------------------------------
    // Progress

    /**
     * Progress on standard error: a bar ({@code me.tongfei:progressbar}) with the running loss and
     * tokens per second when drawing one, else a line every 5 % of the run; a line per evaluation
     * and checkpoint in both cases.
     */
    static final class Progress implements TrainingListener, AutoCloseable {

        private final PrintWriter err;
        private final long maxSteps;
        private final long reportEvery;
        private final ProgressBar bar;
        private final TerminalBarConsumer consumer;
        private double runningLoss = Double.NaN;
        private long tokens;
        private long steps;
        private double stepSeconds;
        private String status = "";

        Progress(PrintWriter err, boolean drawBar, long startStep, long maxSteps) {
            this.err = err;
            this.maxSteps = maxSteps;
            this.reportEvery = Math.max(1, maxSteps / 20);
            if (drawBar) {
                consumer = new TerminalBarConsumer(err, TerminalBarConsumer.terminalWidth(100, 60, 200));
                bar = new ProgressBarBuilder()
                        .setTaskName("train")
                        .setInitialMax(maxSteps)
                        .startsFrom(startStep, Duration.ZERO)
                        .setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(500)
                        .setConsumer(consumer)
                        .build();
            } else {
                consumer = null;
                bar = null;
            }
        }

        @Override
        public void onStep(StepResult r) {
            runningLoss = Double.isNaN(runningLoss) ? r.loss() : 0.9 * runningLoss + 0.1 * r.loss();
            tokens += r.tokens();
            steps++;
            stepSeconds += r.seconds();
            status = String.format(Locale.ROOT, "loss %.4f | %,.0f tok/s | lr %.2e",
                    runningLoss, tokens / stepSeconds, r.learningRate());
            if (bar != null) {
                bar.setExtraMessage(" " + status);
                bar.stepTo(r.step());
            } else if (r.step() % reportEvery == 0 || r.step() == maxSteps) {
                err.printf(Locale.ROOT, "step %d/%d: %s | %.2f s/step%n", r.step(), maxSteps, status,
                        stepSeconds / steps);
                err.flush();
            }
        }

        @Override
        public void onEvaluationStart(long step) {
            if (bar != null) {
                bar.setExtraMessage(" evaluating...");
                bar.refresh();
            }
        }

        @Override
        public void onEvaluation(Evaluation e) {
            if (bar != null) {
                bar.setExtraMessage(" " + status);
            }
            line(String.format(Locale.ROOT, "step %d: train loss %.4f, val loss %.4f, val perplexity %.2f",
                    e.step(), e.trainLoss(), e.validationLoss(), e.validationPerplexity()));
        }

        @Override
        public void onCheckpoint(Path dir, long step) {
            line("step " + step + ": checkpoint written to " + dir);
        }

        private void line(String text) {
            if (consumer != null) {
                consumer.printAbove(text);
            } else {
                err.println(text);
                err.flush();
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                consumer.close();
            }
        }
    }
}
