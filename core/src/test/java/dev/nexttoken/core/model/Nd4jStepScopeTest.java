package dev.nexttoken.core.model;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plain-Nd4j path's {@link Nd4jStepScope}: a step frees the native arrays javacpp made for its
 * operations, what Nd4j keeps for later is not among them, and every thread gets its own scope.
 */
class Nd4jStepScopeTest {

    private static final int STEPS = 40;
    private static Gpt2Model model;

    @BeforeAll
    static void load() {
        model = new Gpt2Model(Gpt2Weights.load(Fixtures.modelDir("tiny")), ComputePath.ND4J_OPS);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void decodeStepsLeaveNoneOfTheirOperationsNativeArrays() {
        try (KvCache cache = model.newCache(2)) {
            model.forward(new int[][] {{1, 2, 3}, {4, 5, 6}}, cache);
            long before = Pointer.totalCount();
            for (int step = 0; step < STEPS / 2; step++) {
                model.forward(new int[][] {{step}, {step + 1}}, cache);
            }
            // unscoped, a decode step of this model at batch 2 leaves some 380 javacpp pointers to the
            // collector; what may remain are the few PointerPointers the scope leaves alone (~10 a step)
            long left = Pointer.totalCount() - before;
            assertTrue(left < 20L * STEPS / 2, left + " javacpp pointers left by " + STEPS / 2 + " decode steps");
        }
    }

    @Test
    void constantsNd4jKeepsForLaterAreNotJavacppPointers() {
        // the safety of the scope rests on this: a constant made during a step (a dimension list, an
        // operation argument) is copied into native memory, not held in a javacpp pointer it would free
        long unique = System.nanoTime();
        long before = Pointer.totalCount();
        try (PointerScope step = Nd4jStepScope.open()) {
            Nd4j.getConstantHandler().getConstantBuffer(new int[] {(int) unique, 1}, DataType.INT);
            Nd4j.getConstantHandler().getConstantBuffer(new int[] {(int) unique, 2}, DataType.LONG);
            Nd4j.getConstantHandler().getConstantBuffer(new long[] {unique, 3}, DataType.LONG);
            Nd4j.getConstantHandler().getConstantBuffer(new double[] {unique, 4}, DataType.FLOAT);
            Nd4j.getConstantHandler().getConstantBuffer(new double[] {unique, 5}, DataType.DOUBLE);
            assertEquals(before, Pointer.totalCount(), "javacpp pointers made for Nd4j's constants");
        }
    }

    @Test
    void twoThreadsDecodingAtOnceGetWhatEachGetsAlone() throws Exception {
        int[][] prompts = {{10, 20, 30, 40}, {7, 7, 7}};
        List<float[][]> alone = new ArrayList<>();
        for (int[] prompt : prompts) {
            alone.add(decode(prompt));
        }
        CyclicBarrier start = new CyclicBarrier(prompts.length);
        ExecutorService threads = Executors.newFixedThreadPool(prompts.length);   // fresh threads: their first steps
        try {
            List<Future<float[][]>> together = new ArrayList<>();
            for (int[] prompt : prompts) {
                together.add(threads.submit(() -> {
                    start.await();
                    return decode(prompt);
                }));
            }
            for (int i = 0; i < prompts.length; i++) {
                float[][] got = together.get(i).get();
                for (int step = 0; step < STEPS; step++) {
                    assertArrayEquals(alone.get(i)[step], got[step], "prompt " + i + ", step " + step);
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /** The logits of a prompt and of {@link #STEPS} - 1 decode steps after it (past the window: from position 0 again). */
    private static float[][] decode(int[] prompt) {
        float[][] logits = new float[STEPS][];
        try (KvCache cache = model.newCache(1)) {
            int[][] ids = {prompt};
            for (int step = 0; step < STEPS; step++) {
                if (cache.remaining() < ids[0].length) {
                    cache.truncate(0);
                }
                logits[step] = model.forward(ids, cache).toFloatVector();
                ids = new int[][] {{(prompt[0] + 31 * step) % 50257}};
            }
        }
        return logits;
    }
}
