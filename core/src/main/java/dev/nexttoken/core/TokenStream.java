package dev.nexttoken.core;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Pull-style generation: each {@link #next()} runs the model only when the tokens of the last
 * step are used up. {@link #cancel()} (from any thread) or {@link #close()} stops it and frees
 * its memory. Use it from one thread; close it, e.g. with try-with-resources.
 */
public final class TokenStream implements Iterator<GeneratedToken>, AutoCloseable {

    private final GenerationRun run;
    private final ArrayDeque<GeneratedToken> ready;

    TokenStream(GenerationRun run, ArrayDeque<GeneratedToken> ready) {
        this.run = run;
        this.ready = ready;
    }

    @Override
    public boolean hasNext() {
        while (ready.isEmpty() && !run.isDone()) {
            run.step();
        }
        return !ready.isEmpty();
    }

    @Override
    public GeneratedToken next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the generation has ended");
        }
        return ready.poll();
    }

    /** The tokens as a sequential {@link Stream}; closing the stream closes this. */
    public Stream<GeneratedToken> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED), false)
                .onClose(this::close);
    }

    /** Stops before the next model step; safe from any thread. */
    public void cancel() {
        run.cancel();
    }

    /**
     * The result: complete when the stream is exhausted, otherwise what exists so far (samples
     * still running are marked {@link FinishReason#CANCELLED}).
     */
    public GenerationResult result() {
        return run.result();
    }

    /** Stops the generation if it still runs and frees its memory. */
    @Override
    public void close() {
        run.cancel();
        run.close();
    }
}
