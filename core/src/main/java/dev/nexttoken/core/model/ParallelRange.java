package dev.nexttoken.core.model;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a loop over {@code [0, n)} into chunks run on every core: the Java parts of the CPU fast
 * path (GELU, attention, the Vector API products) would otherwise use one core while the BLAS
 * calls use all of them.
 *
 * <p>Built for many short calls (a decode step makes dozens): the calling thread runs chunks
 * itself, and helper threads, one per other core, join it. The chunks are fixed by {@code n} and
 * the number of cores alone; which thread runs which chunk is decided as they go (each takes the
 * next one left), so a result never depends on how many helpers were free.
 *
 * <p>Shared by every caller without a global lock: a call claims the helpers that are free (an
 * atomic flag each) and runs the rest itself, so two generations on two threads share the cores
 * and neither waits for the other. Helpers are daemon threads named {@code nexttoken-parallel-N},
 * started on first use. A helper that finished spins briefly before it parks, so the next call of
 * the same step finds it awake (waking a parked thread takes a scheduler round-trip, longer than
 * most of a decode step's products); it then parks, using no CPU, and ends after
 * {@link #keepAliveNanos} without work, so an idle process keeps no threads.
 */
final class ParallelRange {

    /** A loop body over {@code [from, to)}. */
    @FunctionalInterface
    interface Body {
        void run(int from, int to);
    }

    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
    /** How long a helper keeps polling for the next job after one ends: short, OpenBLAS needs the cores between our calls. */
    private static final long SPIN_NANOS = 50_000;
    /** How long a parked helper waits for work before its thread ends (tests shorten it). */
    static volatile long keepAliveNanos = 30_000_000_000L;
    private static final Helper[] HELPERS = helpers();

    private ParallelRange() {
    }

    /** How many chunks a large range is split into: one per core. */
    static int threads() {
        return THREADS;
    }

    /**
     * How many helpers are spinning or working rather than parked or ended, so that a chunk handed
     * to them now starts within microseconds rather than after a wake-up.
     */
    static int awakeWorkers() {
        int awake = 0;
        for (Helper helper : HELPERS) {
            if (helper.thread != null && !helper.parked) {
                awake++;
            }
        }
        return awake;
    }

    /** How many helper threads are running now (parked ones included): for tests. */
    static int liveHelpers() {
        int live = 0;
        for (Helper helper : HELPERS) {
            Thread thread = helper.thread;
            if (thread != null && thread.isAlive()) {
                live++;
            }
        }
        return live;
    }

    /** Runs {@code body} over {@code [0, n)}; small ranges ({@code n < minChunk * 2}) run on the caller's thread. */
    static void run(int n, int minChunk, Body body) {
        run(n, minChunk, THREADS, body);
    }

    /**
     * Runs {@code body} over {@code [0, n)} in at most {@code maxChunks} contiguous chunks, each of
     * at least {@code minChunk}. Called from inside a body, it runs the whole range on that thread.
     */
    static void run(int n, int minChunk, int maxChunks, Body body) {
        int chunks = Math.min(Math.min(THREADS, maxChunks), n / Math.max(1, minChunk));
        if (chunks <= 1 || Thread.currentThread() instanceof HelperThread) {
            body.run(0, n);
            return;
        }
        Job job = new Job(body, n, chunks);
        int wanted = chunks - 1;
        for (int i = 0; i < HELPERS.length && wanted > 0; i++) {
            if (HELPERS[i].tryClaim()) {
                HELPERS[i].hand(job);
                wanted--;
            }
        }
        job.work();
        job.awaitChunks();
        Throwable failure = job.failure;
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    private static Helper[] helpers() {
        Helper[] helpers = new Helper[THREADS - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Helper(i + 1);
        }
        return helpers;
    }

    /** One call's range and its chunks: taken in order by whichever thread comes next. */
    private static final class Job {
        final Body body;
        final int n;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(Body body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        /** Runs chunks until none is left; a failure is kept for the caller, and the chunk counts as done. */
        void work() {
            for (int chunk = next.getAndIncrement(); chunk < chunks; chunk = next.getAndIncrement()) {
                int from = (int) ((long) n * chunk / chunks);
                int to = (int) ((long) n * (chunk + 1) / chunks);
                try {
                    body.run(from, to);
                } catch (RuntimeException | Error e) {
                    if (failure == null) {
                        failure = e;
                    }
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        /**
         * Waits until every chunk taken by another thread is done. They are as long as the caller's,
         * so it spins; it yields now and then in case that thread shares its core.
         */
        void awaitChunks() {
            for (int spins = 1; done.get() < chunks; spins++) {
                if ((spins & 0x3ff) == 0) {
                    Thread.yield();
                } else {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** The marker of helper threads, so that a nested call runs inline instead of claiming helpers. */
    private static final class HelperThread extends Thread {
        HelperThread(Runnable task, String name) {
            super(task, name);
            setDaemon(true);
        }
    }

    /**
     * One helper slot: at most one thread at a time, started when a job is handed to a slot that has
     * none. {@link #claimed} is held from a caller's claim until the helper is done with that job,
     * and by the helper itself while it ends, so a job is never handed to a thread that is ending.
     */
    private static final class Helper implements Runnable {
        private final int index;
        private final AtomicBoolean claimed = new AtomicBoolean();
        /** The running thread, or null; written only by whoever holds {@link #claimed}. */
        volatile Thread thread;
        volatile boolean parked;
        private volatile Job job;

        Helper(int index) {
            this.index = index;
        }

        boolean tryClaim() {
            return !claimed.get() && claimed.compareAndSet(false, true);
        }

        /** Hands a job over; the caller holds the claim. */
        void hand(Job next) {
            job = next;
            Thread running = thread;
            if (running == null) {
                running = new HelperThread(this, "nexttoken-parallel-" + index);
                thread = running;
                running.start();
            } else if (parked) {
                LockSupport.unpark(running);
            }
        }

        @Override
        public void run() {
            for (Job current = awaitJob(); current != null; current = awaitJob()) {
                current.work();
                job = null;
                claimed.set(false);
            }
        }

        /** The next job, or null when none came for {@link #keepAliveNanos} and this thread ends. */
        private Job awaitJob() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (System.nanoTime() < spinUntil) {
                Job current = job;
                if (current != null) {
                    return current;
                }
                Thread.onSpinWait();
            }
            long idleSince = System.nanoTime();
            while (true) {
                long keepAlive = keepAliveNanos;
                parked = true;
                Job current = job;                           // re-checked after announcing: no lost wake-up
                if (current == null) {
                    LockSupport.parkNanos(this, keepAlive);
                    current = job;
                }
                parked = false;
                if (current != null) {
                    return current;
                }
                if (System.nanoTime() - idleSince >= keepAlive && tryClaim()) {
                    thread = null;                           // no caller can hand a job now: end
                    claimed.set(false);
                    return null;
                }
            }
        }
    }
}
