package dev.nexttoken.server;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The executor's slots, queue, refusals and drain, without a model. */
class GenerationExecutorTest {

    @Test
    void runsUpToTheLimitQueuesTheNextAndRefusesTheRest() throws Exception {
        GenerationExecutor executor = new GenerationExecutor(1, 1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> call(executor, () -> {
            started.countDown();
            release.await();
            return "first";
        }));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> call(executor, () -> "second"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (executor.queued() != 1) {
            assertTrue(System.nanoTime() < deadline, "the second request never queued");
            Thread.sleep(5);
        }
        assertEquals(1, executor.running());

        ApiException refused = assertThrows(ApiException.class, () -> executor.run(() -> "third"));
        assertEquals(429, refused.status());
        assertEquals(GenerationExecutor.RETRY_AFTER_SECONDS, refused.retryAfterSeconds());

        release.countDown();
        assertEquals("first", first.get(10, TimeUnit.SECONDS));
        assertEquals("second", second.get(10, TimeUnit.SECONDS));
        assertTrue(executor.drain(10_000));
        assertEquals(503, assertThrows(ApiException.class, () -> executor.run(() -> "late")).status());
    }

    @Test
    void theWorksExceptionReachesTheCaller() {
        GenerationExecutor executor = new GenerationExecutor(2, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> executor.run(() -> {
            throw new IllegalStateException("boom");
        }));
        assertEquals("boom", e.getMessage());
    }

    @Test
    void drainWaitsForRunningWork() throws Exception {
        GenerationExecutor executor = new GenerationExecutor(1, 0);
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> call(executor, () -> {
            started.countDown();
            Thread.sleep(300);
            finished.set(true);
            return "done";
        }));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertFalse(executor.drain(10), "the work still runs");
        assertTrue(executor.drain(10_000));
        assertTrue(finished.get(), "drain returned before the work ended");
        assertEquals("done", running.get(10, TimeUnit.SECONDS));
    }

    private static <T> T call(GenerationExecutor executor, GenerationExecutor.Work<T> work) {
        try {
            return executor.run(work);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
