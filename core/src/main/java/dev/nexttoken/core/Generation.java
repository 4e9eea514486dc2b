package dev.nexttoken.core;

import java.util.Objects;

/**
 * One generation call driven step by step from outside, by a scheduler that decodes several of
 * them together ({@link Generator#stepTogether}): what a server needs to let concurrent requests
 * share decode steps (continuous batching). A generation joins a batch at any step and leaves it
 * when it ends; it produces exactly what {@link Generator#generate} produces for the same prompt,
 * options and seed, whatever the other generations stepped with it.
 *
 * <pre>{@code
 * try (Generation g = generator.begin(prompt, options, listener)) {
 *     while (!g.isDone()) {
 *         generator.stepTogether(List.of(g, ...));        // with whatever else is running
 *     }
 *     GenerationResult r = g.result();
 * }
 * }</pre>
 *
 * <p>Made by {@link Generator#begin}; it holds its attention cache (allocated at its first step)
 * until it ends or is closed. Stepped by one thread at a time; {@link #isDone()} and
 * {@link #cancel()} are safe from any thread (a client that went away cancels: the generation
 * then ends at its next step, as {@link FinishReason#CANCELLED}, without running the model).
 */
public final class Generation implements AutoCloseable {

    private final Generator owner;
    private final GenerationRun run;

    Generation(Generator owner, GenerationRun run) {
        this.owner = Objects.requireNonNull(owner, "owner");
        this.run = Objects.requireNonNull(run, "run");
    }

    /** Whether every sample has ended (length, stop string, end of text, or cancelled). */
    public boolean isDone() {
        return run.isDone();
    }

    /** Asks the generation to end at its next step; safe from any thread, and after it ended. */
    public void cancel() {
        run.cancel();
    }

    /**
     * The exception that ended this generation when one of its steps failed (a processor that
     * threw, non-finite logits, the model closed under it), or null. A failure ends only the
     * generations it concerns: the others stepped with it carry on. Its samples then end as
     * {@link FinishReason#CANCELLED}.
     */
    public RuntimeException failure() {
        return run.failure();
    }

    /** The result so far: every sample's text and tokens, complete once {@link #isDone()}. */
    public GenerationResult result() {
        return run.result();
    }

    /**
     * Frees the attention cache now; a generation that has not ended is cancelled: its next step
     * ends it as {@link FinishReason#CANCELLED} without running the model. Safe to call twice. A
     * generation frees its cache by itself when it ends.
     */
    @Override
    public void close() {
        run.close();
    }

    /** The generator that began it: only it may step this generation. */
    Generator owner() {
        return owner;
    }

    GenerationRun run() {
        return run;
    }
}
