package dev.nexttoken.core;

import dev.nexttoken.core.model.ComputePath;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.model.KvCache;
import dev.nexttoken.sampling.Inspection;
import dev.nexttoken.sampling.LogitsContext;
import dev.nexttoken.sampling.NonFiniteLogitsException;
import dev.nexttoken.sampling.RandomStreams;
import dev.nexttoken.sampling.SamplingPipeline;
import dev.nexttoken.tokenizer.SpecialTokens;
import dev.nexttoken.tokenizer.Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The library's front door: a GPT-2 and its tokenizer, and the calls a user makes —
 * {@link #generate}, {@link #stream}, {@link #next} and {@link #score}; and for a server that
 * decodes concurrent requests together, {@link #begin} and {@link #stepTogether}.
 *
 * <pre>{@code
 * try (Generator gen = Generator.load(Path.of("models/gpt2"))) {    // or Generator.loadDefault()
 *     GenerationResult r = gen.generate("Hello", GenerationOptions.builder().maxNewTokens(50).build());
 *     System.out.println(r.text());
 * }
 * }</pre>
 *
 * <p>Thread-safe: the weights are loaded once and only read; every call has its own cache,
 * random streams and buffers, so several threads may call one generator at once and each gets
 * exactly what it would get alone.
 */
public final class Generator implements AutoCloseable {

    private final Gpt2Model model;
    private final Tokenizer tokenizer;
    private final Scorer scorer;
    private volatile boolean closed;

    /**
     * Wraps a loaded model; the generator owns it and closes it with itself.
     *
     * @throws ModelLoadException if the model's {@code vocab_size} differs from the tokenizer's
     *                            (the model is then not closed: the caller still owns it)
     */
    public Generator(Gpt2Model model, Tokenizer tokenizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        VocabularyMatch.require(model.config().vocabSize(), tokenizer);
        this.scorer = new Scorer(model);
    }

    /** Loads a Hugging Face GPT-2 folder ({@code config.json} + {@code model.safetensors}). */
    public static Generator load(Path modelDir) {
        return load(modelDir, Gpt2Weights.LoadOptions.defaults());
    }

    /** Loads a model folder, reporting progress (for a progress bar on large weights). */
    public static Generator load(Path modelDir, Gpt2Weights.ProgressListener progress) {
        return load(modelDir, Gpt2Weights.LoadOptions.defaults().withProgress(progress));
    }

    /**
     * Loads a model folder with the given options: progress, finiteness checks, or the weights
     * memory-mapped instead of read into memory ({@link Gpt2Weights.LoadOptions#withMemoryMapped}).
     */
    public static Generator load(Path modelDir, Gpt2Weights.LoadOptions options) {
        Gpt2Model model = new Gpt2Model(Gpt2Weights.load(modelDir, options));
        try {
            return new Generator(model, Tokenizer.gpt2());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Loads the embedded default model: a small GPT-2 trained by this project (see
     * {@link DefaultModel}), to try the library without downloading weights.
     *
     * @throws ModelLoadException if {@code nexttoken-default-model} is not on the class path
     */
    public static Generator loadDefault() {
        return loadDefault(Gpt2Weights.LoadOptions.defaults());
    }

    /** Loads the embedded default model with the given options. */
    public static Generator loadDefault(Gpt2Weights.LoadOptions options) {
        return load(DefaultModel.folder(), options);
    }

    /** The model. */
    public Gpt2Model model() {
        return model;
    }

    /**
     * What computes the model's weight products ({@link Gpt2Model#kernel()}): for example
     * {@code "native avx512-vnni"}, {@code "native avx512"}, {@code "java"} or {@code "nd4j"}.
     *
     * @return the kernel's name
     */
    public String kernel() {
        return model.kernel();
    }

    /** The tokenizer. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Generates continuations of {@code prompt}; an empty prompt starts from {@code <|endoftext|>}. */
    public GenerationResult generate(String prompt, GenerationOptions options) {
        return generate(prompt, options, null);
    }

    /** Generates, telling {@code listener} each piece of text as it comes. */
    public GenerationResult generate(String prompt, GenerationOptions options, GenerationListener listener) {
        return generate(encode(prompt, options), options, listener);
    }

    /** Generates continuations of a prompt given as token ids; an empty prompt starts from {@code <|endoftext|>}. */
    public GenerationResult generate(int[] promptTokens, GenerationOptions options) {
        return generate(promptTokens, options, null);
    }

    /** Generates continuations of a prompt given as token ids, telling {@code listener} each piece of text. */
    public GenerationResult generate(int[] promptTokens, GenerationOptions options, GenerationListener listener) {
        try (GenerationRun run = newRun(promptTokens, options, listener)) {
            return run.runToEnd();
        }
    }

    /** Pull-style generation of {@code prompt}; close the stream when done. */
    public TokenStream stream(String prompt, GenerationOptions options) {
        return stream(encode(prompt, options), options);
    }

    /** Pull-style generation from token ids; close the stream when done. */
    public TokenStream stream(int[] promptTokens, GenerationOptions options) {
        ArrayDeque<GeneratedToken> ready = new ArrayDeque<>();
        int[] steps = new int[options.numSamples()];
        GenerationListener queue = new GenerationListener() {
            @Override
            public void onToken(int sample, int tokenId, String text) {
                ready.add(new GeneratedToken(sample, steps[sample]++, tokenId, text));
            }

            @Override
            public void onFinish(int sample, FinishReason reason, String remainingText) {
                if (!remainingText.isEmpty()) {
                    appendText(ready, sample, steps[sample], remainingText);
                }
            }
        };
        return new TokenStream(newRun(promptTokens, options, queue), ready);
    }

    /**
     * Begins a generation that a scheduler steps with {@link #stepTogether}, together with
     * others; it produces what {@link #generate(String, GenerationOptions, GenerationListener)}
     * produces. Nothing runs until its first step; close it if it is dropped before it ends.
     *
     * @param listener told each piece of text as it comes, or null
     */
    public Generation begin(String prompt, GenerationOptions options, GenerationListener listener) {
        return begin(encode(prompt, options), options, listener);
    }

    /** Begins a generation from a prompt given as token ids; an empty prompt starts from {@code <|endoftext|>}. */
    public Generation begin(int[] promptTokens, GenerationOptions options, GenerationListener listener) {
        return new Generation(this, newRun(promptTokens, options, listener));
    }

    /**
     * Advances every generation of {@code generations} that has not ended by one token (those
     * that ended are skipped; a cancelled one ends without running the model). A generation at
     * its first step runs its prompt alone (a scheduler may step a newcomer by itself first, to
     * keep the others' steps short); all the others decode in one joint model call, each weight
     * read once for all of them, and each gets exactly the logits, and so the tokens, it would
     * get alone. Each chooses with its own options, random stream, listener and stop conditions.
     *
     * <p>A failure (a generation's processor that throws, non-finite logits, the model closed
     * under the call) does not throw here: it ends the generations it concerns, each reporting it
     * in {@link Generation#failure()}, and the others carry on.
     *
     * <p>Call from one thread at a time for a given generation; different lists of distinct
     * generations may step on different threads.
     *
     * @throws IllegalArgumentException if a generation was begun by another generator or is listed twice
     */
    public void stepTogether(List<Generation> generations) {
        Objects.requireNonNull(generations, "generations");
        checkOpen();
        List<GenerationRun> runs = new ArrayList<>(generations.size());
        Set<Generation> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Generation g : generations) {
            Objects.requireNonNull(g, "a generation in the list is null");
            if (g.owner() != this) {
                throw new IllegalArgumentException("a generation begun by another generator cannot step with this one's");
            }
            if (!seen.add(g)) {
                throw new IllegalArgumentException("a generation is listed twice: each steps once per call");
            }
            runs.add(g.run());
        }
        JointStep.run(model, runs);
    }

    /**
     * The next-token table of {@code prompt}: the top {@code topN} candidates of exactly the
     * distribution {@code generate} samples its first token from with the same options.
     */
    public NextTokenTable next(String prompt, GenerationOptions options, int topN) {
        return next(encode(prompt, options), options, topN);
    }

    /** The next-token table of a prompt given as token ids. */
    public NextTokenTable next(int[] promptTokens, GenerationOptions options, int topN) {
        if (topN < 1) {
            throw new IllegalArgumentException("top must be >= 1, got " + topN);
        }
        checkOpen();
        int[] prompt = promptOrStart(promptTokens);
        int window = model.config().nPositions();
        int[] context = Arrays.copyOfRange(prompt, Math.max(0, prompt.length - window), prompt.length);
        SamplingPipeline pipeline = SamplingPipeline.of(
                options.sampling().toBuilder().endOfTextId(tokenizer.endOfTextId()).build());
        try (KvCache cache = new KvCache(model.config(), 1, context.length)) {
            INDArray logits = model.forward(new int[][] {context}, cache);              // [1, V], owned by the cache
            LogitsContext ctx = LogitsContext.of(tokenizer.vocabSize(), 0, List.of(prompt), new int[] {prompt.length});
            Inspection inspection;
            try {
                inspection = pipeline.inspect(ctx, logits, RandomStreams.create(options.seed()), topN).get(0);
            } catch (NonFiniteLogitsException e) {
                throw NonFiniteLogits.explain(e, model.weights());
            }
            return new NextTokenTable(prompt, GenerationRun.candidates(tokenizer, inspection.candidates()),
                    inspection.chosenId());
        }
    }

    /** The loss of {@code text}: how surprised the model is by each of its tokens after the first. */
    public ScoreResult score(String text) {
        return score(tokenizer.encode(text));
    }

    /**
     * The loss of {@code text} scored with strided windows (see {@link #score(int[], int)}).
     *
     * @param stride how far each window advances, in {@code [1, n_positions]}
     */
    public ScoreResult score(String text, int stride) {
        return score(tokenizer.encode(text), stride);
    }

    /**
     * The loss of a token sequence: the mean of {@code -log p(token | prefix)} over tokens
     * 2…N. Sequences longer than the window are scored in consecutive windows of
     * {@code n_positions} tokens, each token seeing at most the tokens of its own window:
     * {@link #score(int[], int)} with a stride of {@code n_positions}.
     */
    public ScoreResult score(int[] tokens) {
        return score(tokens, model.config().nPositions());
    }

    /**
     * The loss of a token sequence scored with strided windows, the method of Hugging Face's
     * perplexity guide ("Perplexity of fixed-length models"): the first window is the first
     * {@code n_positions} inputs; each next window ends {@code stride} inputs later and spans
     * {@code n_positions} inputs, and only the targets that no earlier window predicted count.
     * Every token 2…N is so predicted exactly once; a token of the first window sees its whole
     * prefix, a later one at least {@code n_positions - stride + 1} tokens (itself excluded: the
     * inputs before it). A smaller stride gives each prediction more context and costs about
     * {@code n_positions / stride} times the forward passes; {@code stride = n_positions} is
     * consecutive windows, the cheapest and the least context. Texts that fit one window score
     * the same with any stride.
     *
     * @param tokens the ids, at least 2
     * @param stride how far each window advances, in {@code [1, n_positions]}
     */
    public ScoreResult score(int[] tokens, int stride) {
        checkOpen();
        return scorer.score(tokens, stride);
    }

    /** The most positions (sequences × longest sequence) one batched scoring pass holds: its logits are 4 B × vocabulary each. */
    public static final int SCORE_BATCH_POSITIONS = Scorer.BATCH_POSITIONS;

    /**
     * Scores several token sequences, those that fit one window together: they are sorted by
     * length and go through the model in batches of up to {@link #SCORE_BATCH_POSITIONS}
     * positions (sequences × the longest), shorter ones padded at the end with ignored targets,
     * which the causal attention keeps from changing the others. Sequences longer than the window
     * are scored alone with {@link #score(int[], int)}. Several short texts then cost about one
     * forward pass instead of one each (measured 3.7–4× faster for 16 texts of 6 tokens).
     *
     * <p>Each result equals {@code score(tokens, stride)} up to float rounding: a batched matrix
     * product may sum in another order (losses differing by about 1e-6 nats were measured), so
     * use {@link #score(int[], int)} where bit-for-bit agreement with single scoring matters.
     *
     * @param sequences the ids of each text, each at least 2 tokens
     * @param stride    the stride for the sequences longer than the window, in {@code [1, n_positions]}
     * @return one result per sequence, in the order given
     */
    public List<ScoreResult> score(List<int[]> sequences, int stride) {
        checkOpen();
        return scorer.score(sequences, stride);
    }

    private GenerationRun newRun(int[] promptTokens, GenerationOptions options, GenerationListener listener) {
        checkOpen();
        Objects.requireNonNull(options, "options");
        int[] prompt = promptOrStart(promptTokens);
        MemoryBudget.check(model.config(), options.numSamples(),
                (int) Math.min(model.config().nPositions(), (long) prompt.length + options.maxNewTokens()),
                model.computePath() == ComputePath.CPU_BLAS);
        return new GenerationRun(model, tokenizer, prompt, options, listener);
    }

    private int[] encode(String prompt, GenerationOptions options) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(options, "options");
        return tokenizer.encode(prompt, options.allowSpecialTokens() ? SpecialTokens.ALLOWED : SpecialTokens.AS_TEXT);
    }

    /** The prompt, or {@code <|endoftext|>} alone when it is empty (as GPT-2 starts a text). */
    private int[] promptOrStart(int[] promptTokens) {
        Objects.requireNonNull(promptTokens, "promptTokens");
        checkIds(promptTokens);
        return promptTokens.length == 0 ? new int[] {tokenizer.endOfTextId()} : promptTokens.clone();
    }

    private void checkIds(int[] tokens) {
        VocabularyMatch.checkIds(tokens, model.config().vocabSize());
    }

    private static void appendText(ArrayDeque<GeneratedToken> ready, int sample, int step, String text) {
        for (Iterator<GeneratedToken> it = ready.descendingIterator(); it.hasNext(); ) {
            GeneratedToken last = it.next();
            if (last.sample() == sample) {
                // the sample's last token of this step is still queued: it carries the text
                List<GeneratedToken> all = List.copyOf(ready);
                ready.clear();
                for (GeneratedToken t : all) {
                    ready.add(t == last ? new GeneratedToken(t.sample(), t.step(), t.id(), t.text() + text) : t);
                }
                return;
            }
        }
        ready.add(new GeneratedToken(sample, step, -1, text));
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this generator is closed");
        }
    }

    /**
     * Frees the weights as soon as no call uses them: calls in flight finish or end with
     * {@link IllegalStateException}, later ones throw it. Safe to call twice, from any thread.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            model.close();
        }
    }
}
