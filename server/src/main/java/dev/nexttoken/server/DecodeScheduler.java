package dev.nexttoken.server;

import dev.nexttoken.core.Generation;
import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.core.Generator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching: one thread, {@code nexttoken-scheduler}, owns every running generation
 * and steps them all together with {@link Generator#stepTogether}, one token each per step, the
 * decodes in one joint model call. A generation handed over by {@link #submit} joins at the next
 * step (its prompt is prefilled alone in that step) and leaves after the step in which it ended
 * (length, stop, end of text, cancelled or failed): its cache is freed then and its request told
 * through its {@link GenerationFeed}. The thread never blocks on a client; how many generations
 * may run at once is {@link Admission}'s decision, taken before they get here.
 *
 * <p>A failure ends only the generations it concerns ({@link Generation#failure()}); should the
 * step itself throw (the generator closed under it), every generation of the step ends with that
 * failure, so no request waits forever.
 */
final class DecodeScheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DecodeScheduler.class);

    private record Entry(Generation generation, GenerationFeed feed) {
    }

    private final Generator generator;
    private final ServerMetrics metrics;
    private final BlockingQueue<Entry> arrivals = new LinkedBlockingQueue<>();
    private final Thread thread;
    private boolean stopping;
    private boolean stopped;

    DecodeScheduler(Generator generator, ServerMetrics metrics) {
        this.generator = generator;
        this.metrics = metrics;
        this.thread = new Thread(this::loop, "nexttoken-scheduler");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Hands a generation over: it joins the batch at the next step; {@code feed} (its listener)
     * then receives its output.
     *
     * @throws ApiException 503 once the scheduler is stopping
     */
    synchronized void submit(Generation generation, GenerationFeed feed) {
        if (stopping) {
            generation.close();
            throw ApiException.draining();
        }
        arrivals.add(new Entry(generation, feed));
    }

    private void loop() {
        List<Entry> active = new ArrayList<>();
        try {
            while (true) {
                if (active.isEmpty()) {
                    Entry first = arrivals.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        synchronized (this) {
                            if (stopping && arrivals.isEmpty()) {
                                stopped = true;
                                notifyAll();
                                return;
                            }
                        }
                        continue;
                    }
                    active.add(first);
                }
                arrivals.drainTo(active);
                step(active);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (this) {
                stopped = true;
                notifyAll();
            }
        }
    }

    /** One step of every active generation; those that ended leave. */
    private void step(List<Entry> active) {
        List<Generation> generations = new ArrayList<>(active.size());
        for (Entry e : active) {
            generations.add(e.generation());
        }
        metrics.batchStep(generations.size());
        try {
            generator.stepTogether(generations);
        } catch (RuntimeException e) {
            LOG.error("a decode step failed; ending its {} generations", active.size(), e);
            for (Entry entry : active) {
                leave(entry, e);
            }
            active.clear();
            return;
        }
        long now = System.nanoTime();
        for (Iterator<Entry> it = active.iterator(); it.hasNext(); ) {
            Entry entry = it.next();
            entry.feed().publish(now);
            if (entry.generation().isDone()) {
                it.remove();
                leave(entry, entry.generation().failure());
            }
        }
    }

    /** A generation leaves the batch: its cache is freed and its request told how it ended. */
    private static void leave(Entry entry, RuntimeException failure) {
        Generation g = entry.generation();
        GenerationResult result = g.result();
        g.close();
        entry.feed().end(result, failure);
    }

    /**
     * Takes no more generations, lets the active and arrived ones finish, and stops the thread;
     * gives up waiting after {@code timeoutMillis} (the thread is a daemon).
     *
     * @return true if the thread stopped in time
     */
    synchronized boolean close(long timeoutMillis) throws InterruptedException {
        stopping = true;
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!stopped) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** {@link #close(long)} with up to a minute. */
    @Override
    public void close() {
        try {
            close(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
