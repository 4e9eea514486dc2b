package dev.nexttoken.sampling;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Chooses the next token of every sequence of a batch: the processor chain, then softmax, then
 * the sampler. Built from {@link SamplingOptions} (built-in processors in Hugging Face's order, then
 * the custom ones) or from an explicit chain. Immutable and thread-safe (if its processors and
 * sampler are); the per-call state lives in {@link RandomStreams}.
 *
 * <pre>{@code
 * SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.nanoGpt());
 * RandomStreams random = RandomStreams.create(1337);          // once per generation call
 * for (each step) {
 *     LogitsContext context = LogitsContext.of(vocab, step, tokensPerRow, promptLengths);
 *     int[] next = pipeline.choose(context, logits, random);  // logits: [batch, vocab] float32
 * }
 * }</pre>
 *
 * <p>How a step runs: each row of {@code logits} is copied once into a Java array (reused from
 * step to step); the {@link RowLogitsProcessor}s (all built-ins) work on that copy,
 * row by row so a row stays in the CPU cache, and the sampler draws from it; before another
 * processor the rows are written back so it sees them in {@code logits}, and read again after it.
 * Before the chain the input is checked for NaN and infinities ({@link NonFiniteLogitsException},
 * naming the model's logits); after each processor that is not built in, it is checked for NaN
 * (an error names the processor; a {@code -inf} a processor writes removes a token); a processor
 * that throws is named too. Before sampling, a row with no finite logit left is an error naming
 * the chain. The sampler of row {@code r} draws from {@code random.stream(r)}.
 *
 * <p>{@link #choose} and {@link #inspect} process {@code logits} in place: on return they hold the
 * processed logits the sampler drew from.
 *
 * <p>Memory: a pipeline keeps one {@code [batch][vocab]} float buffer (200 KB per row for GPT-2)
 * that {@code choose} reuses at every step, so the hot path allocates almost nothing; it goes with
 * the pipeline. Thread-safe: a second thread choosing at the same time gets a buffer of its own.
 */
public final class SamplingPipeline {

    /**
     * The row buffers {@code choose} reuses from step to step (a fresh 200 KB array per row and step
     * is cheap once the heap is settled, but not while the JVM is still committing memory); null
     * while a call has them.
     */
    private final AtomicReference<float[][]> spareRows = new AtomicReference<>();

    private final List<LogitsProcessor> processors;
    private final Sampler sampler;
    private final SamplingOptions options;
    private final String chain;

    private SamplingPipeline(List<LogitsProcessor> processors, Sampler sampler, SamplingOptions options) {
        this.processors = List.copyOf(processors);
        this.sampler = sampler;
        this.options = options;
        List<String> names = new ArrayList<>();
        for (LogitsProcessor p : this.processors) {
            names.add(p.name());
        }
        this.chain = names.toString();
    }

    /**
     * The pipeline for a set of options.
     *
     * @param options the options
     * @return the pipeline
     */
    public static SamplingPipeline of(SamplingOptions options) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        List<LogitsProcessor> chain = new ArrayList<>();
        if (options.repetitionPenalty() != 1.0) {
            chain.add(new RepetitionPenaltyProcessor(options.repetitionPenalty(), options.penaltyWindow()));
        }
        if (options.frequencyPenalty() != 0.0 || options.presencePenalty() != 0.0) {
            chain.add(new FrequencyPresencePenaltyProcessor(options.frequencyPenalty(), options.presencePenalty(),
                    options.penaltyWindow()));
        }
        if (options.noRepeatNgramSize() > 0) {
            chain.add(new NoRepeatNGramProcessor(options.noRepeatNgramSize()));
        }
        if (!options.logitBias().isEmpty()) {
            chain.add(new LogitBiasProcessor(options.logitBias()));
        }
        if (!options.bannedTokens().isEmpty() || !options.bannedSequences().isEmpty()) {
            chain.add(new BannedTokensProcessor(options.bannedTokens(), options.bannedSequences()));
        }
        if (options.minNewTokens() > 0) {
            chain.add(new MinNewTokensProcessor(options.minNewTokens(), options.endOfTextId().getAsInt()));
        }
        if (!options.isGreedy()) {
            if (options.temperature() != 1.0) {
                chain.add(new TemperatureProcessor(options.temperature()));
            }
            if (options.topK() > 0) {
                chain.add(new TopKProcessor(options.topK(), options.minTokensToKeep()));
            }
            if (options.topP() < 1.0) {
                chain.add(new TopPProcessor(options.topP(), options.minTokensToKeep()));
            }
            if (options.minP() > 0.0) {
                chain.add(new MinPProcessor(options.minP(), options.minTokensToKeep()));
            }
            if (options.typicalP() < 1.0) {
                chain.add(new TypicalPProcessor(options.typicalP(), options.minTokensToKeep()));
            }
        }
        chain.addAll(options.processors());
        Sampler sampler = options.sampler()
                .orElseGet(() -> options.isGreedy() ? new GreedySampler() : new MultinomialSampler());
        return new SamplingPipeline(chain, sampler, options);
    }

    /**
     * A pipeline with an explicit chain, run in the given order.
     *
     * @param processors the chain
     * @param sampler the sampler
     * @return the pipeline
     */
    public static SamplingPipeline of(List<? extends LogitsProcessor> processors, Sampler sampler) {
        if (processors == null || sampler == null) {
            throw new IllegalArgumentException("processors and sampler must not be null");
        }
        for (LogitsProcessor p : processors) {
            if (p == null) {
                throw new IllegalArgumentException("processors must not contain null");
            }
        }
        return new SamplingPipeline(new ArrayList<>(processors), sampler, null);
    }

    /** @return the processor chain, in order, unmodifiable */
    public List<LogitsProcessor> processors() {
        return processors;
    }

    /** @return the sampler */
    public Sampler sampler() {
        return sampler;
    }

    /** @return the options this pipeline was built from, if it was built from options */
    public Optional<SamplingOptions> options() {
        return Optional.ofNullable(options);
    }

    /** @return the chain and sampler, e.g. {@code [TemperatureProcessor(temperature=0.8), TopKProcessor(k=200)] -> MultinomialSampler} */
    public String describe() {
        return chain + " -> " + sampler.name();
    }

    @Override
    public String toString() {
        return "SamplingPipeline" + describe();
    }

    /**
     * Chooses the next token of every row.
     *
     * @param context the tokens so far per row; its batch and vocabulary sizes must match {@code logits}
     * @param logits {@code [batch, vocab]} float32; processed in place
     * @param random the call's random streams; row {@code r} draws from {@code random.stream(r)}
     * @return one id per row
     * @throws SamplingException if no token can be chosen for a row (NaN, every token removed, a
     *     processor or sampler failed); the message names the source; a
     *     {@link NonFiniteLogitsException} if the given logits hold NaN or an infinity
     * @throws IllegalArgumentException if the shapes do not match
     */
    public int[] choose(LogitsContext context, INDArray logits, RandomStreams random) {
        requireRandom(random);
        float[][] rows = borrowRows(context, logits);
        try {
            readChecked(context, logits, rows);
            int[] ids = new int[rows.length];
            runChain(context, logits, rows, r -> ids[r] = sampleRow(rows[r], r, random));
            LogitsArrays.write(rows, logits);
            return ids;
        } finally {
            spareRows.set(rows);
        }
    }

    /**
     * Chooses the next token of every row, like {@link #choose}, and reports the top candidates of
     * each row with raw logit, processed logit and probability: the next-token table. It draws the
     * same random numbers as {@code choose}, so tracing a generation does not change it.
     *
     * @param context the tokens so far per row
     * @param logits {@code [batch, vocab]} float32; processed in place
     * @param random the call's random streams
     * @param topN how many candidates per row, at least 1 (more than the vocabulary gives all)
     * @return one inspection per row
     * @throws SamplingException as {@link #choose}
     */
    public List<Inspection> inspect(LogitsContext context, INDArray logits, RandomStreams random, int topN) {
        requireRandom(random);
        if (topN < 1) {
            throw new IllegalArgumentException("topN must be >= 1, got " + topN);
        }
        float[][] rows = readChecked(context, logits, null);
        float[][] raw = new float[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            raw[r] = rows[r].clone();
        }
        runChain(context, logits, rows, null);
        LogitsArrays.write(rows, logits);
        List<Inspection> result = new ArrayList<>(rows.length);
        for (int r = 0; r < rows.length; r++) {
            float[] processed = rows[r];
            float[] original = raw[r];
            double[] p = Softmax.probabilities(processed, origin(r));
            int chosen = sampleRow(processed, r, random);
            int[] best = Selection.best(processed.length, topN, (a, b) -> {
                int c = Float.compare(processed[b], processed[a]);
                if (c == 0) {
                    c = Float.compare(original[b], original[a]);
                }
                return c != 0 ? c : Integer.compare(a, b);
            });
            List<Candidate> candidates = new ArrayList<>(best.length);
            for (int id : best) {
                candidates.add(new Candidate(id, original[id], processed[id], p[id]));
            }
            Candidate chosenCandidate = new Candidate(chosen, original[chosen], processed[chosen], p[chosen]);
            result.add(new Inspection(chosen, chosenCandidate, candidates));
        }
        return result;
    }

    /**
     * The distribution the sampler draws from: the softmax of the processed logits of each row.
     *
     * @param context the tokens so far per row
     * @param logits {@code [batch, vocab]} float32; processed in place
     * @return {@code [batch][vocab]} probabilities
     * @throws SamplingException as {@link #choose}
     */
    public double[][] probabilities(LogitsContext context, INDArray logits) {
        float[][] rows = readChecked(context, logits, null);
        runChain(context, logits, rows, null);
        LogitsArrays.write(rows, logits);
        double[][] result = new double[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            result[r] = Softmax.probabilities(rows[r], origin(r));
        }
        return result;
    }

    private static void requireRandom(RandomStreams random) {
        if (random == null) {
            throw new IllegalArgumentException("random must not be null: create one RandomStreams per generation call");
        }
    }

    /**
     * Reads the logits into {@code rows} (new rows when null) and checks that they are finite: NaN
     * or an infinity before any processor ran comes from the model (a {@code -inf} that a
     * processor writes later is a removed token, and legitimate). The check replaces the NaN scan
     * the read always had, so it costs no extra pass.
     */
    private float[][] readChecked(LogitsContext context, INDArray logits, float[][] rows) {
        if (rows == null) {
            checkShapes(context, logits);
            rows = LogitsArrays.read(logits);
        } else {
            LogitsArrays.read(logits, rows);
        }
        for (int r = 0; r < rows.length; r++) {
            int bad = Checks.indexOfNonFinite(rows[r]);
            if (bad >= 0) {
                throw new NonFiniteLogitsException(r, bad, rows[r][bad]);
            }
        }
        return rows;
    }

    private static void checkShapes(LogitsContext context, INDArray logits) {
        if (context == null) {
            throw new IllegalArgumentException("context must not be null");
        }
        LogitsArrays.checkMatches(context, logits);
    }

    /** One thread's reusable rows; a nested call on the same thread gets fresh ones. */
    /** The spare row buffers if they fit {@code [batch][vocab]}, else new ones. */
    private float[][] borrowRows(LogitsContext context, INDArray logits) {
        checkShapes(context, logits);
        int batch = context.batchSize();
        int vocab = context.vocabSize();
        float[][] rows = spareRows.getAndSet(null);
        if (rows == null || rows.length != batch || rows[0].length != vocab) {
            rows = new float[batch][vocab];
        }
        return rows;
    }

    /**
     * Runs the chain over the rows. Consecutive row processors run row by row (all of them on row 0,
     * then on row 1, ...) so that a row stays in the CPU cache; other processors get the whole
     * {@code logits} array. {@code done} (if not null) is called for each row as soon as the chain
     * has finished with it.
     */
    private void runChain(LogitsContext context, INDArray logits, float[][] rows, IntConsumer done) {
        int count = processors.size();
        int i = 0;
        while (i < count) {
            if (processors.get(i) instanceof RowLogitsProcessor) {
                int end = i;
                while (end < count && processors.get(end) instanceof RowLogitsProcessor) {
                    end++;
                }
                for (int r = 0; r < rows.length; r++) {
                    for (int j = i; j < end; j++) {
                        applyToRow(j, context, r, rows[r]);
                    }
                    if (end == count && done != null) {
                        done.accept(r);
                    }
                }
                if (end == count) {
                    return;
                }
                i = end;
            } else {
                applyToArray(i, context, logits, rows);
                i++;
            }
        }
        if (done != null) {
            for (int r = 0; r < rows.length; r++) {
                done.accept(r);
            }
        }
    }

    private void applyToRow(int index, LogitsContext context, int r, float[] row) {
        RowLogitsProcessor processor = (RowLogitsProcessor) processors.get(index);
        boolean builtIn = processor instanceof BuiltIn;
        try {
            processor.processRow(context, r, row);
        } catch (RuntimeException e) {
            throw failed(index, context, e, builtIn);
        }
        if (!builtIn) {
            requireNoNaN(index, context, r, row);
        }
    }

    private void applyToArray(int index, LogitsContext context, INDArray logits, float[][] rows) {
        LogitsProcessor processor = processors.get(index);
        boolean builtIn = processor instanceof BuiltIn;
        try {
            LogitsArrays.write(rows, logits);
            processor.process(context, logits);
            LogitsArrays.read(logits, rows);
        } catch (RuntimeException e) {
            throw failed(index, context, e, builtIn);
        }
        if (!builtIn) {
            for (int r = 0; r < rows.length; r++) {
                requireNoNaN(index, context, r, rows[r]);
            }
        }
    }

    private RuntimeException failed(int index, LogitsContext context, RuntimeException e, boolean builtIn) {
        if (builtIn && e instanceof SamplingException) {
            return e; // built-ins name themselves
        }
        return new SamplingException("logits processor '" + processors.get(index).name() + "' (number " + (index + 1)
                + " of the chain " + chain + ") failed at step " + context.step() + ": " + e, e);
    }

    private void requireNoNaN(int index, LogitsContext context, int r, float[] row) {
        int nan = Checks.indexOfNaN(row);
        if (nan >= 0) {
            throw new SamplingException("logits processor '" + processors.get(index).name() + "' (number "
                    + (index + 1) + " of the chain " + chain + ") produced NaN at row " + r + ", token " + nan
                    + ", step " + context.step());
        }
    }

    private int sampleRow(float[] row, int r, RandomStreams random) {
        if (Checks.allNegativeInfinity(row)) {
            throw new SamplingException("every logit of row " + r + " is -inf after the processor chain " + chain
                    + ": the processors removed every token, so none can be chosen");
        }
        int id;
        try {
            id = sampler.sample(row, random.stream(r));
        } catch (RuntimeException e) {
            throw new SamplingException("sampler '" + sampler.name() + "' failed on row " + r + " after the chain "
                    + chain + ": " + e, e);
        }
        if (id < 0 || id >= row.length) {
            throw new SamplingException("sampler '" + sampler.name() + "' chose token " + id + " for row " + r
                    + ", outside the vocabulary [0, " + row.length + ")");
        }
        if (row[id] == Float.NEGATIVE_INFINITY) {
            throw new SamplingException("sampler '" + sampler.name() + "' chose token " + id + " for row " + r
                    + ", which the processor chain " + chain + " removed (logit -inf)");
        }
        return id;
    }

    private String origin(int row) {
        return "row " + row + " after the processor chain " + chain;
    }
}
