package dev.nexttoken.server;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admission's slots, queue (first come, first served), refusals and drain, without a model. */
class AdmissionTest {

    @Test
    void runsUpToTheLimitQueuesTheNextAndRefusesTheRest() throws Exception {
        Admission admission = new Admission(1, 1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> call(admission, () -> {
            started.countDown();
            release.await();
            return "first";
        }));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> call(admission, () -> "second"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (admission.queued() != 1) {
            assertTrue(System.nanoTime() < deadline, "the second request never queued");
            Thread.sleep(5);
        }
        assertEquals(1, admission.running());

        ApiException refused = assertThrows(ApiException.class, () -> admission.run(() -> "third"));
        assertEquals(429, refused.status());
        assertEquals(Admission.RETRY_AFTER_SECONDS, refused.retryAfterSeconds());

        release.countDown();
        assertEquals("first", first.get(10, TimeUnit.SECONDS));
        assertEquals("second", second.get(10, TimeUnit.SECONDS));
        assertTrue(admission.drain(10_000));
        assertEquals(503, assertThrows(ApiException.class, () -> admission.run(() -> "late")).status());
    }

    @Test
    void waitersGetTheirSlotInOrderOfArrivalAndOneThatGivesUpIsPassedOver() throws Exception {
        Admission admission = new Admission(1, 3);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> call(admission, () -> {
            started.countDown();
            release.await();
            return "first";
        }));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        List<Thread> waiters = new ArrayList<>();
        for (String name : List.of("b", "gives-up", "c")) {
            Thread t = new Thread(() -> {
                try {
                    admission.run(() -> order.add(name));
                } catch (InterruptedException e) {
                    order.add("interrupted " + name);
                } catch (Exception e) {
                    order.add(e.toString());
                }
            });
            t.start();
            waiters.add(t);
            awaitQueued(admission, waiters.size());
        }
        waiters.get(1).interrupt();
        awaitQueued(admission, 2);
        release.countDown();
        assertEquals("first", first.get(10, TimeUnit.SECONDS));
        for (Thread t : waiters) {
            t.join(10_000);
        }
        assertEquals(List.of("interrupted gives-up", "b", "c"), order);
        assertEquals(0, admission.running());
        assertEquals(0, admission.queued());
    }

    private static void awaitQueued(Admission admission, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (admission.queued() != n) {
            assertTrue(System.nanoTime() < deadline, "never " + n + " queued");
            Thread.sleep(2);
        }
    }

    @Test
    void theWorksExceptionReachesTheCaller() {
        Admission admission = new Admission(2, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> admission.run(() -> {
            throw new IllegalStateException("boom");
        }));
        assertEquals("boom", e.getMessage());
    }

    @Test
    void drainWaitsForRunningWork() throws Exception {
        Admission admission = new Admission(1, 0);
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> call(admission, () -> {
            started.countDown();
            Thread.sleep(300);
            finished.set(true);
            return "done";
        }));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertFalse(admission.drain(10), "the work still runs");
        assertTrue(admission.drain(10_000));
        assertTrue(finished.get(), "drain returned before the work ended");
        assertEquals("done", running.get(10, TimeUnit.SECONDS));
    }

    private static <T> T call(Admission admission, Admission.Work<T> work) {
        try {
            return admission.run(work);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
