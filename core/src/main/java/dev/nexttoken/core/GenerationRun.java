package dev.nexttoken.core;

import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.KvCache;
import dev.nexttoken.sampling.Candidate;
import dev.nexttoken.sampling.Inspection;
import dev.nexttoken.sampling.LogitsContext;
import dev.nexttoken.sampling.NonFiniteLogitsException;
import dev.nexttoken.sampling.RandomStreams;
import dev.nexttoken.sampling.SamplingPipeline;
import dev.nexttoken.tokenizer.Tokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One generation call as a state machine: each {@link #step()} adds one token to every sample
 * still running. The whole batch of samples goes through the model together; a finished sample
 * keeps its row (fed a placeholder token) so the batch stays rectangular, and its output stops.
 *
 * <p>Past the model's window the context slides as in nanoGPT's {@code generate()}: the last
 * {@code n_positions} tokens are run again from position 0 and the cache is rebuilt from them.
 * Not thread-safe, except {@link #cancel()}.
 */
final class GenerationRun implements AutoCloseable {

    private final Gpt2Model model;
    private final Tokenizer tokenizer;
    private final GenerationOptions options;
    private final GenerationListener listener;
    private final SamplingPipeline pipeline;
    private final RandomStreams random;
    private final int[] prompt;
    private final int window;
    private final int samples;

    /** Per sample: prompt + every token fed to the model so far (placeholders after it ended). */
    private final TokenList[] modelTokens;
    /** Per sample: prompt + the tokens it generated, what the processors see. */
    private final TokenList[] history;
    private final SampleText[] texts;
    private final FinishReason[] finished;
    private final List<TraceStep> trace = new ArrayList<>();

    private KvCache cache;
    private int[][] pending;
    private int step;
    /** Written by the stepping thread; volatile so that another thread (a request waiting on it) sees it. */
    private volatile boolean done;
    private volatile boolean cancelled;
    /** What ended the run when a step of it failed, or null. */
    private volatile RuntimeException failure;
    private double prefillMillis;
    private double decodeMillis;
    private int decodeSteps;

    GenerationRun(Gpt2Model model, Tokenizer tokenizer, int[] prompt, GenerationOptions options,
                  GenerationListener listener) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.options = options;
        this.listener = listener;
        this.pipeline = SamplingPipeline.of(options.sampling().toBuilder().endOfTextId(tokenizer.endOfTextId()).build());
        this.random = RandomStreams.create(options.seed());
        this.prompt = prompt.clone();
        this.window = model.config().nPositions();
        this.samples = options.numSamples();
        this.modelTokens = new TokenList[samples];
        this.history = new TokenList[samples];
        this.texts = new SampleText[samples];
        for (int i = 0; i < samples; i++) {
            modelTokens[i] = new TokenList(prompt);
            history[i] = new TokenList(prompt);
            texts[i] = new SampleText(tokenizer, options.stopStrings());
        }
        this.finished = new FinishReason[samples];
        if (options.maxNewTokens() == 0) {
            Arrays.fill(finished, FinishReason.LENGTH);
            done = true;
        }
    }

    /** Whether every sample has ended (or the run was cancelled). */
    boolean isDone() {
        return done;
    }

    /** Asks the run to stop before its next step; safe from any thread. */
    void cancel() {
        cancelled = true;
    }

    /** Runs the model once and adds one token to every running sample. */
    void step() {
        if (!endIfCancelled()) {
            stepAlone();
        }
    }

    /** A step whose model call is this run's alone (its checks done): prefill, or decode at batch {@code samples}. */
    void stepAlone() {
        long start = System.nanoTime();
        boolean first = cache == null;
        INDArray logits = first ? prefill() : decode();                 // [samples, V], owned by the cache
        chooseAndAccept(logits, first, start);
    }

    /**
     * The first half of a step's checks: throws once the run has ended, and ends it, without
     * running the model, when it was cancelled.
     *
     * @return whether the run has just ended as cancelled (the step is then over)
     */
    boolean endIfCancelled() {
        if (done) {
            throw new IllegalStateException("the generation has ended");
        }
        if (cancelled) {
            finishAll(FinishReason.CANCELLED);
            return true;
        }
        return false;
    }

    /**
     * Whether the next step must run the model for this run alone: the prompt's prefill, or the
     * context re-run from position 0 once the window is full. Otherwise it is one decode position
     * per sample, which may share a pass with other runs ({@link #cache()}, {@link #nextTokens()}).
     */
    boolean needsOwnPass() {
        return cache == null || cache.remaining() < 1;
    }

    /** The cache of a run past its prefill: what a decode step shared with other runs advances. */
    KvCache cache() {
        return cache;
    }

    /** The token each sample feeds to the model next (its last one), {@code [samples]}. */
    int[] nextTokens() {
        int[] tokens = new int[samples];
        for (int i = 0; i < samples; i++) {
            tokens[i] = pending[i][0];
        }
        return tokens;
    }

    /**
     * The second half of a step: the sampling pipeline chooses from {@code logits [samples, V]}
     * (this run's rows of the model's output), and each sample takes its token (listener, stop
     * strings, end of text, length). {@code start} is when the step's model call began.
     */
    void chooseAndAccept(INDArray logits, boolean first, long start) {
        LogitsContext context = LogitsContext.of(tokenizer.vocabSize(), step, histories(), promptLengths());
        int[] chosen = choose(context, logits);
        if (first && samples > 1) {
            logits.close();                                              // the copy made for the batch
        }
        double millis = (System.nanoTime() - start) / 1e6;
        if (first) {
            prefillMillis = millis;
        } else {
            decodeMillis += millis;
            decodeSteps++;
        }
        accept(chosen);
        step++;
    }

    /**
     * Ends the run after a step of it failed (its model call, or its own choice: a processor that
     * threw, non-finite logits): its samples end as cancelled and its cache is freed, and
     * {@link #failure()} keeps {@code e}. The step may have left the cache half-advanced: the run
     * never steps again.
     */
    void fail(RuntimeException e) {
        failure = e;
        if (done) {
            return;
        }
        try {
            finishAll(FinishReason.CANCELLED);
        } catch (RuntimeException listenerFailure) {                     // the listener threw again
            e.addSuppressed(listenerFailure);
            done = true;
            close();
        }
    }

    /** The exception that ended the run, or null. */
    RuntimeException failure() {
        return failure;
    }

    /** Runs steps until every sample has ended. */
    GenerationResult runToEnd() {
        while (!done) {
            step();
        }
        return result();
    }

    /** The result so far (complete once {@link #isDone()}). */
    GenerationResult result() {
        List<Sample> out = new ArrayList<>(samples);
        int newTokens = 0;
        for (int i = 0; i < samples; i++) {
            int[] tokens = Arrays.copyOfRange(history[i].toArray(), prompt.length, history[i].size());
            newTokens += tokens.length;
            FinishReason reason = finished[i] == null ? FinishReason.CANCELLED : finished[i];
            out.add(new Sample(texts[i].text(), tokens, reason));
        }
        return new GenerationResult(prompt, out, new Timings(prefillMillis, decodeMillis, decodeSteps, newTokens), trace);
    }

    /** The prompt once at batch 1 (cropped to the window), its cache copied to every sample. */
    private INDArray prefill() {
        int[] context = modelTokens[0].last(window);
        int capacity = (int) Math.min(window, (long) context.length + options.maxNewTokens());
        cache = new KvCache(model.config(), samples, capacity);
        if (samples == 1) {
            return model.forward(new int[][] {context}, cache);
        }
        try (KvCache single = new KvCache(model.config(), 1, capacity)) {
            INDArray logits = model.forward(new int[][] {context}, single);       // [1, V]
            cache.fillFrom(single);
            return logits.repeat(0, samples);                                      // [samples, V], a copy
        }
    }

    /** One position per sample; past the window, the last n_positions tokens again from position 0. */
    private INDArray decode() {
        if (cache.remaining() >= 1) {
            return model.forward(pending, cache);
        }
        cache.reset();
        int[][] context = new int[samples][];
        for (int i = 0; i < samples; i++) {
            context[i] = modelTokens[i].last(window);
        }
        return model.forward(context, cache);
    }

    private int[] choose(LogitsContext context, INDArray logits) {
        try {
            return chooseOrTrace(context, logits);
        } catch (NonFiniteLogitsException e) {
            throw NonFiniteLogits.explain(e, model.weights());
        }
    }

    private int[] chooseOrTrace(LogitsContext context, INDArray logits) {
        if (options.traceTopN() == 0) {
            return pipeline.choose(context, logits, random);
        }
        List<Inspection> inspections = pipeline.inspect(context, logits, random, options.traceTopN());
        int[] chosen = new int[samples];
        for (int i = 0; i < samples; i++) {
            Inspection inspection = inspections.get(i);
            chosen[i] = inspection.chosenId();
            if (finished[i] == null) {
                trace.add(new TraceStep(step, i, chosen[i], candidates(tokenizer, inspection.candidates())));
            }
        }
        return chosen;
    }

    static List<TraceCandidate> candidates(Tokenizer tokenizer, List<Candidate> candidates) {
        List<TraceCandidate> out = new ArrayList<>(candidates.size());
        for (Candidate c : candidates) {
            out.add(new TraceCandidate(c.id(), tokenizer.piece(c.id()), c.rawLogit(), c.processedLogit(), c.probability()));
        }
        return out;
    }

    private void accept(int[] chosen) {
        pending = new int[samples][1];
        for (int i = 0; i < samples; i++) {
            int id = chosen[i];
            modelTokens[i].add(id);
            pending[i][0] = id;
            if (finished[i] != null) {
                continue;
            }
            if (options.stopAtEndOfText() && id == tokenizer.endOfTextId()) {
                finish(i, FinishReason.EOS);
                continue;
            }
            history[i].add(id);
            String piece = texts[i].accept(id);
            if (listener != null) {
                listener.onToken(i, id, piece);
            }
            if (texts[i].stopped()) {
                finish(i, FinishReason.STOP);
            } else if (history[i].size() - prompt.length == options.maxNewTokens()) {
                finish(i, FinishReason.LENGTH);
            }
        }
        done = Arrays.stream(finished).allMatch(reason -> reason != null);
        if (done) {
            close();
        }
    }

    private void finish(int sample, FinishReason reason) {
        finished[sample] = reason;
        String rest = texts[sample].finish();
        if (listener != null) {
            listener.onFinish(sample, reason, rest);
        }
    }

    private void finishAll(FinishReason reason) {
        for (int i = 0; i < samples; i++) {
            if (finished[i] == null) {
                finish(i, reason);
            }
        }
        done = true;
        close();
    }

    private List<int[]> histories() {
        List<int[]> out = new ArrayList<>(samples);
        for (TokenList tokens : history) {
            out.add(tokens.toArray());
        }
        return out;
    }

    private int[] promptLengths() {
        int[] lengths = new int[samples];
        Arrays.fill(lengths, prompt.length);
        return lengths;
    }

    /** Frees the cache; the run cannot step afterwards. Safe to call twice. */
    @Override
    public void close() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
        if (!done) {
            cancelled = true;
        }
    }
}
