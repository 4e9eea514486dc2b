package dev.nexttoken.core.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits a loop over {@code [0, n)} into one contiguous chunk per core: the Java parts of the CPU
 * fast path (GELU, attention, the Vector API products) would otherwise use one core while the
 * BLAS calls use all of them.
 *
 * <p>Built for many short calls (a decode step makes ~50): the calling thread runs the first
 * chunk itself, and one resident worker per other core runs the rest. A worker that finished
 * spins for {@link #SPIN_NANOS} before it parks, so the next call of the same step finds it
 * awake: waking a parked thread and waiting for it cost 0.1–0.3 ms per call on the 2-core VMs
 * measured, where a fork/join pool needed three such hand-offs per call. The spin is short
 * because OpenBLAS needs the cores between our calls.
 *
 * <p>Thread-safe: one call at a time uses the workers; a call that finds them busy (another
 * thread's generation running) runs its whole range on its own thread.
 */
final class ParallelRange {

    /** A loop body over {@code [from, to)}. */
    @FunctionalInterface
    interface Body {
        void run(int from, int to);
    }

    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** How long an idle worker keeps polling for the next job before it parks. */
    private static final long SPIN_NANOS = 50_000;
    private static final ReentrantLock BUSY = new ReentrantLock();
    private static final Worker[] WORKERS = startWorkers();

    private ParallelRange() {
    }

    /** How many chunks a large range is split into: one per core. */
    static int threads() {
        return THREADS;
    }

    /**
     * How many workers, counted from the first (the order in which {@link #run} hands out chunks),
     * are spinning or working rather than parked, so that handing them a chunk now costs
     * microseconds, not a wake-up: for {@link #SPIN_NANOS} after a call that used them.
     */
    static int awakeWorkers() {
        int awake = 0;
        while (awake < WORKERS.length && !WORKERS[awake].parked) {
            awake++;
        }
        return awake;
    }

    /** Runs {@code body} over {@code [0, n)}; small ranges ({@code n < minChunk * 2}) run on the caller's thread. */
    static void run(int n, int minChunk, Body body) {
        run(n, minChunk, THREADS, body);
    }

    /**
     * Runs {@code body} over {@code [0, n)} in at most {@code maxChunks} chunks (the caller's
     * thread and the first {@code maxChunks - 1} workers), each of at least {@code minChunk}.
     */
    static void run(int n, int minChunk, int maxChunks, Body body) {
        int chunks = Math.min(Math.min(THREADS, maxChunks), n / Math.max(1, minChunk));
        if (chunks <= 1 || BUSY.isHeldByCurrentThread() || !BUSY.tryLock()) {   // nested, or workers busy
            body.run(0, n);
            return;
        }
        try {
            Job job = new Job(body, n, chunks);
            for (int i = 1; i < chunks; i++) {
                WORKERS[i - 1].start(job, i);
            }
            Throwable failure = null;
            try {
                job.runChunk(0);
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            job.awaitOthers();
            if (failure == null) {
                failure = job.failure;
            }
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
        } finally {
            BUSY.unlock();
        }
    }

    private static Worker[] startWorkers() {
        Worker[] workers = new Worker[THREADS - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread thread = new Thread(workers[i], "nexttoken-parallel-" + (i + 1));
            thread.setDaemon(true);
            workers[i].thread = thread;
            thread.start();
        }
        return workers;
    }

    /** One call's range, its chunks and what is still running. */
    private static final class Job {
        final Body body;
        final int n;
        final int chunks;
        final AtomicInteger running;
        volatile Throwable failure;

        Job(Body body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.running = new AtomicInteger(chunks - 1);
        }

        void runChunk(int chunk) {
            int from = (int) ((long) n * chunk / chunks);
            int to = (int) ((long) n * (chunk + 1) / chunks);
            body.run(from, to);
        }

        /** Spins until every other chunk is done: they are the same size as the caller's. */
        void awaitOthers() {
            while (running.get() > 0) {
                Thread.onSpinWait();
            }
        }
    }

    /** A resident thread that runs one chunk per job handed to it. */
    private static final class Worker implements Runnable {
        Thread thread;
        private volatile Job job;
        private int chunk;
        private volatile boolean parked;

        /** Hands over a job (called with {@link #BUSY} held, so one job at a time). */
        void start(Job next, int index) {
            chunk = index;
            job = next;                                   // volatile write publishes chunk too
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            while (true) {
                Job current = awaitJob();
                try {
                    current.runChunk(chunk);
                } catch (RuntimeException | Error e) {
                    current.failure = e;
                } finally {
                    job = null;
                    current.running.decrementAndGet();
                }
            }
        }

        private Job awaitJob() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (true) {
                Job current = job;
                if (current != null) {
                    return current;
                }
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                if (job == null) {                        // re-check after announcing: no lost wake-up
                    LockSupport.park(this);
                }
                parked = false;
                spinUntil = System.nanoTime() + SPIN_NANOS;
            }
        }
    }
}
