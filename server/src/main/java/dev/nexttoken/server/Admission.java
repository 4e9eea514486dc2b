package dev.nexttoken.server;

import java.util.HashSet;
import java.util.Set;

/**
 * Decides which requests may use the model now: at most {@code maxConcurrent} hold a slot at
 * once; up to {@code queue} more wait for one, first come first served; beyond that a request is
 * refused at once with 429 and {@code Retry-After}; once draining, with 503. The work runs on the
 * caller's (HTTP) thread while it holds its slot: a completion hands its generations to the
 * {@link DecodeScheduler} and streams what comes back, so {@code maxConcurrent} is also the most
 * generations the scheduler decodes together.
 *
 * <p>Why a class of its own: the limits and their refusals are one policy, shared by every
 * endpoint that runs the model, and testable without one.
 */
final class Admission {

    /** The {@code Retry-After} a refused request gets, in seconds. */
    static final int RETRY_AFTER_SECONDS = 1;

    private final int maxConcurrent;
    private final int queue;
    private int running;
    private int waiting;
    private long nextTicket;
    private long serving;
    private boolean draining;
    /** Tickets of waiters that gave up (interrupted), passed over when their turn comes. */
    private final Set<Long> skipped = new HashSet<>();

    Admission(int maxConcurrent, int queue) {
        this.maxConcurrent = maxConcurrent;
        this.queue = queue;
    }

    /** A piece of work that runs while holding a slot. */
    interface Work<T> {
        T call() throws Exception;
    }

    /**
     * Waits for a slot (when all are taken and the queue has room), runs {@code work} on this
     * thread, and frees the slot.
     *
     * @throws ApiException 429 when every slot and queue place is taken, 503 when draining
     * @throws Exception    what the work threw
     */
    <T> T run(Work<T> work) throws Exception {
        acquire();
        try {
            return work.call();
        } finally {
            release();
        }
    }

    private synchronized void acquire() throws InterruptedException {
        if (draining) {
            throw ApiException.draining();
        }
        if (waiting == 0 && running < maxConcurrent) {
            running++;
            return;
        }
        if (waiting >= queue) {
            throw ApiException.queueFull(maxConcurrent, queue, RETRY_AFTER_SECONDS);
        }
        long ticket = nextTicket++;
        waiting++;
        try {
            while (ticket != serving || running >= maxConcurrent) {
                wait();
            }
        } catch (InterruptedException e) {
            // give the turn away: the queue behind must not wait for a ticket that will never come
            waiting--;
            if (ticket == serving) {
                nextTurn();
            } else {
                skipped.add(ticket);
            }
            notifyAll();
            throw e;
        }
        waiting--;
        nextTurn();
        running++;
        notifyAll();
    }

    private void nextTurn() {
        serving++;
        while (skipped.remove(serving)) {
            serving++;
        }
    }

    private synchronized void release() {
        running--;
        notifyAll();
    }

    /** Requests waiting for a slot. */
    synchronized int queued() {
        return waiting;
    }

    /** Requests holding a slot now. */
    synchronized int running() {
        return running;
    }

    /**
     * Takes no new requests (503) and waits until the running and waiting ones have finished.
     *
     * @return true if everything finished within {@code timeoutMillis}
     */
    synchronized boolean drain(long timeoutMillis) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (running > 0 || waiting > 0) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }
}
