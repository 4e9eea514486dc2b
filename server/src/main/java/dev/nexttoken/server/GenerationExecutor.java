package dev.nexttoken.server;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Owns "run this request on the model": at most {@code maxConcurrent} generations at once, each
 * on a thread of its own; up to {@code queue} more wait; beyond that a request is refused at once
 * with 429. The HTTP thread hands over the work and waits for it.
 *
 * <p>Why a class of its own: it is the one seam a continuous-batching scheduler (requests
 * sharing decode steps) replaces; handlers only call {@link #run}.
 */
final class GenerationExecutor {

    /** The {@code Retry-After} a refused request gets, in seconds. */
    static final int RETRY_AFTER_SECONDS = 1;

    private final ThreadPoolExecutor pool;
    private final int maxConcurrent;
    private final int queue;
    private final AtomicInteger running = new AtomicInteger();

    GenerationExecutor(int maxConcurrent, int queue) {
        this.maxConcurrent = maxConcurrent;
        this.queue = queue;
        BlockingQueue<Runnable> waiting = queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue);
        AtomicInteger threads = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(maxConcurrent, maxConcurrent, 0, TimeUnit.MILLISECONDS, waiting, r -> {
            Thread t = new Thread(r, "nexttoken-generation-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    }

    /** A piece of work that may find its client gone. */
    interface Work<T> {
        T call() throws Exception;
    }

    /**
     * Runs {@code work} on a generation thread and waits for it.
     *
     * @throws ApiException 429 when every slot and queue place is taken, or what the work threw
     * @throws Exception    what the work threw
     */
    <T> T run(Work<T> work) throws Exception {
        Callable<T> task = () -> {
            running.incrementAndGet();
            try {
                return work.call();
            } finally {
                running.decrementAndGet();
            }
        };
        Future<T> future;
        try {
            future = pool.submit(task);
        } catch (RejectedExecutionException e) {
            if (pool.isShutdown()) {
                throw ApiException.draining();
            }
            throw ApiException.queueFull(maxConcurrent, queue, RETRY_AFTER_SECONDS);
        }
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw (Error) cause;
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw e;
        }
    }

    /** Requests waiting for a slot. */
    int queued() {
        return pool.getQueue().size();
    }

    /** Generations running now. */
    int running() {
        return running.get();
    }

    /**
     * Takes no new work and waits until the running and queued work has finished.
     *
     * @return true if everything finished within {@code timeoutMillis}
     */
    boolean drain(long timeoutMillis) throws InterruptedException {
        pool.shutdown();
        return pool.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS);
    }
}
