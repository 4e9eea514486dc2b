package dev.nexttoken.core.model;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Splits a loop over {@code [0, n)} into one contiguous chunk per core and runs the chunks on a
 * shared pool: the Java parts of the CPU fast path (GELU, attention softmax, per-head work) are
 * otherwise single-threaded while the BLAS calls use every core.
 */
final class ParallelRange {

    /** A loop body over {@code [from, to)}. */
    @FunctionalInterface
    interface Body {
        void run(int from, int to);
    }

    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS == 1 ? null : new ForkJoinPool(THREADS);

    private ParallelRange() {
    }

    /** Runs {@code body} over {@code [0, n)}; small ranges ({@code n < minChunk * 2}) run on the caller's thread. */
    static void run(int n, int minChunk, Body body) {
        int chunks = Math.min(THREADS, n / Math.max(1, minChunk));
        if (POOL == null || chunks <= 1) {
            body.run(0, n);
            return;
        }
        POOL.invoke(new Chunk(body, 0, n, chunks));
    }

    /** Splits in halves until one chunk is left. */
    private static final class Chunk extends RecursiveAction {
        private final Body body;
        private final int from;
        private final int to;
        private final int chunks;

        Chunk(Body body, int from, int to, int chunks) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.chunks = chunks;
        }

        @Override
        protected void compute() {
            if (chunks <= 1) {
                body.run(from, to);
                return;
            }
            int leftChunks = chunks / 2;
            int mid = from + (int) ((long) (to - from) * leftChunks / chunks);
            invokeAll(new Chunk(body, from, mid, leftChunks), new Chunk(body, mid, to, chunks - leftChunks));
        }
    }
}
