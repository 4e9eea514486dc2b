package dev.nexttoken.core.model;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link ParallelRange}: every index exactly once, failures passed to the caller, nesting and
 * concurrent callers; chunks independent of which helpers were free; helpers that are daemon,
 * named, idle without CPU use and gone after their keep-alive.
 */
class ParallelRangeTest {

    @Test
    void coversEveryIndexExactlyOnce() {
        for (int n : new int[] {0, 1, 2, 3, 7, 1000, 100_003}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, n));
            ParallelRange.run(n, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    seen.incrementAndGet(i);
                }
            });
            for (int i = 0; i < n; i++) {
                assertEquals(1, seen.get(i), "n " + n + ", index " + i);
            }
        }
    }

    @Test
    void atMostMaxChunksEachCoveringItsPart() {
        for (int maxChunks : new int[] {0, 1, 2, 64}) {
            List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
            ParallelRange.run(1000, 1, maxChunks, (from, to) -> chunks.add(new int[] {from, to}));
            int expected = Math.max(1, Math.min(maxChunks, ParallelRange.threads()));
            assertEquals(expected, chunks.size(), "maxChunks " + maxChunks);
            chunks.sort(Comparator.comparingInt(c -> c[0]));
            int next = 0;
            for (int[] chunk : chunks) {
                assertEquals(next, chunk[0], "contiguous chunks");
                next = chunk[1];
            }
            assertEquals(1000, next);
        }
        assertTrue(ParallelRange.awakeWorkers() >= 0 && ParallelRange.awakeWorkers() < ParallelRange.threads());
    }

    @Test
    void aFailureInAnyChunkReachesTheCallerAndTheWorkersStayUsable() {
        IllegalStateException boom = new IllegalStateException("boom");
        for (int failing = 0; failing < 2; failing++) {
            int bad = failing == 0 ? 0 : 999;                     // in the caller's chunk, then in the last
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> ParallelRange.run(1000, 1,
                    (from, to) -> {
                        if (from <= bad && bad < to) {
                            throw boom;
                        }
                    }));
            assertSame(boom, thrown);
        }
        coversEveryIndexExactlyOnce();
    }

    @Test
    void nestedAndConcurrentCallsEachCoverTheirRange() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Future<Long>> sums = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                sums.add(callers.submit(() -> {
                    long[] total = new long[1];
                    ParallelRange.run(64, 1, (from, to) -> {
                        long[] inner = new long[1];
                        ParallelRange.run(to - from, 1, (a, b) -> {     // nested: runs on this thread
                            synchronized (inner) {
                                for (int i = a; i < b; i++) {
                                    inner[0] += from + i;
                                }
                            }
                        });
                        synchronized (total) {
                            total[0] += inner[0];
                        }
                    });
                    return total[0];
                }));
            }
            for (Future<Long> sum : sums) {
                assertEquals(64L * 63 / 2, sum.get());
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void theChunksDoNotDependOnWhichHelpersAreFree() throws Exception {
        assumeSeveralCores();
        List<String> alone = chunksOf(1000);
        CountDownLatch helperBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread other = new Thread(() -> ParallelRange.run(2, 1, (from, to) -> {
            if (from == 1) {                               // a helper (or this thread) holds chunk 1
                helperBusy.countDown();
                await(release);
            }
        }));
        other.start();
        try {
            assertTrue(helperBusy.await(10, TimeUnit.SECONDS));
            assertEquals(alone, chunksOf(1000), "the same chunks while another call holds a helper");
        } finally {
            release.countDown();
            other.join(10_000);
        }
        assertFalse(other.isAlive());
    }

    @Test
    void helpersAreNamedDaemonThreadsThatUseNoCpuWhenIdleAndEndAfterTheirKeepAlive() throws Exception {
        assumeSeveralCores();
        long keepAlive = ParallelRange.keepAliveNanos;
        ParallelRange.keepAliveNanos = TimeUnit.MILLISECONDS.toNanos(300);
        try {
            coversEveryIndexExactlyOnce();
            List<Thread> helpers = helperThreads();
            assertFalse(helpers.isEmpty(), "helpers started");
            for (Thread helper : helpers) {
                assertTrue(helper.isDaemon(), helper.getName());
            }
            Thread.sleep(50);                              // past the spin after the last job
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long before = cpuNanos(mx, helpers);
            Thread.sleep(500);
            long idleCpu = cpuNanos(mx, helpers) - before;                  // a spinning helper would use ~500 ms
            assertTrue(idleCpu < TimeUnit.MILLISECONDS.toNanos(25), "idle helpers used " + idleCpu / 1e6 + " ms of CPU");

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ParallelRange.liveHelpers() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, ParallelRange.liveHelpers(), "helpers end after their keep-alive");
            coversEveryIndexExactlyOnce();                 // and start again when needed
            assertTrue(ParallelRange.liveHelpers() > 0);
        } finally {
            ParallelRange.keepAliveNanos = keepAlive;
        }
    }

    /** The chunks of a run over {@code [0, n)}, as "from-to" in order. */
    private static List<String> chunksOf(int n) {
        List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
        ParallelRange.run(n, 1, (from, to) -> chunks.add(new int[] {from, to}));
        List<String> result = new ArrayList<>();
        chunks.stream().sorted(Comparator.comparingInt(c -> c[0])).forEach(c -> result.add(c[0] + "-" + c[1]));
        return result;
    }

    private static List<Thread> helperThreads() {
        List<Thread> helpers = new ArrayList<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith("nexttoken-parallel-")) {
                helpers.add(thread);
            }
        }
        return helpers;
    }

    private static long cpuNanos(ThreadMXBean mx, List<Thread> threads) {
        long total = 0;
        for (Thread thread : threads) {
            total += Math.max(0, mx.getThreadCpuTime(thread.getId()));
        }
        return total;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void assumeSeveralCores() {
        Assumptions.assumeTrue(ParallelRange.threads() > 1, "one core: no helpers");
    }
}
