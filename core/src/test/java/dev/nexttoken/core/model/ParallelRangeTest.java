package dev.nexttoken.core.model;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link ParallelRange}: every index exactly once, failures passed to the caller, nesting and concurrent callers. */
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
}
