package dev.nexttoken.core.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link Gpt2Model#forwardTogether} gives each cache exactly (no tolerance) the logits
 * {@link Gpt2Model#forward} gives it alone: caches of different batch sizes and prompt lengths,
 * joining and leaving the joint step at different steps, more than {@link NativeKernels#MAX_ROWS} rows
 * at once, on both compute paths; and GPT-2 small's shape with random weights.
 */
class ForwardTogetherTest {

    /** A cache stepped jointly and its twin stepped alone, from the same prompt. */
    private record Twin(KvCache together, KvCache alone, int batch, int joins, int leaves) {
    }

    @Test
    void eachCacheGetsItsLogitsAloneOnTheCpuPath() {
        checkSmall(ComputePath.CPU_BLAS);
    }

    @Test
    void eachCacheGetsItsLogitsAloneOnTheNd4jPath() {
        checkSmall(ComputePath.ND4J_OPS);
    }

    @Test
    void gpt2SmallShapeGetsItsLogitsAlone() {
        Gpt2Config small = new Gpt2Config(12, 12, 768, 1024, 50257, 1e-5);
        try (Gpt2Model model = new Gpt2Model(Gpt2Weights.random(small, 3), ComputePath.CPU_BLAS)) {
            // batch, prompt length, first joint step, step it leaves at
            check(model, new int[][] {{1, 7, 0, 4}, {1, 30, 1, 4}, {2, 3, 0, 3}, {1, 1, 2, 4}}, 4, 40);
        }
    }

    @Test
    void rejectsMismatchedArguments() {
        try (Gpt2Model model = new Gpt2Model(Gpt2Weights.random(new Gpt2Config(1, 2, 16, 8, 50257, 1e-5), 1));
             KvCache a = model.newCache(2);
             KvCache b = model.newCache(1)) {
            assertThrows(IllegalArgumentException.class,
                    () -> model.forwardTogether(new int[][] {{1, 2}}, new KvCache[] {a, b}));
            assertThrows(IllegalArgumentException.class,
                    () -> model.forwardTogether(new int[][] {{1}, {2}}, new KvCache[] {a, b}));
            assertThrows(IllegalArgumentException.class,
                    () -> model.forwardTogether(new int[][] {{1}, {2}}, new KvCache[] {b, b}));
            assertThrows(IllegalArgumentException.class,
                    () -> model.forwardTogether(new int[][] {{1, 50257}, {2}}, new KvCache[] {a, b}));
        }
    }

    /**
     * A small model (GPT-2's vocabulary) with five caches: batch sizes 1 to 12 (19 rows when all
     * run), prompts of 1 to 11 tokens, joining and leaving at different steps.
     */
    private static void checkSmall(ComputePath path) {
        Gpt2Config config = new Gpt2Config(2, 4, 64, 32, 50257, 1e-5);
        try (Gpt2Model model = new Gpt2Model(Gpt2Weights.random(config, 11), path)) {
            check(model, new int[][] {{1, 5, 0, 12}, {3, 2, 0, 7}, {1, 11, 2, 15}, {2, 1, 4, 15}, {12, 3, 1, 10}},
                    15, 32);
        }
    }

    /**
     * Prefills twins per spec {@code {batch, prompt length, joins, leaves}}, then for {@code steps}
     * steps runs the caches whose turn it is together and their twins alone, with the same random
     * tokens, and compares every logit.
     */
    private static void check(Gpt2Model model, int[][] specs, int steps, int capacity) {
        Random random = new Random(7);
        int vocab = model.config().vocabSize();
        List<Twin> twins = new ArrayList<>();
        try {
            for (int[] spec : specs) {
                Twin twin = new Twin(new KvCache(model.config(), spec[0], capacity),
                        new KvCache(model.config(), spec[0], capacity), spec[0], spec[2], spec[3]);
                twins.add(twin);
                int[][] prompt = new int[spec[0]][spec[1]];                      // [B][T]
                for (int[] row : prompt) {
                    for (int t = 0; t < row.length; t++) {
                        row[t] = random.nextInt(vocab);
                    }
                }
                assertSame(model.forward(prompt, twin.alone()), model.forward(prompt, twin.together()), "prefill");
            }
            for (int step = 0; step < steps; step++) {
                List<Twin> active = new ArrayList<>();
                for (Twin twin : twins) {
                    if (step >= twin.joins() && step < twin.leaves()) {
                        active.add(twin);
                    }
                }
                if (active.isEmpty()) {
                    continue;
                }
                int[][] ids = new int[active.size()][];                              // [caches][B_i]
                KvCache[] caches = new KvCache[active.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = random.ints(active.get(i).batch(), 0, vocab).toArray();
                    caches[i] = active.get(i).together();
                }
                INDArray[] together = model.forwardTogether(ids, caches);
                for (int i = 0; i < ids.length; i++) {
                    int[][] column = new int[ids[i].length][1];                       // [B_i][1]
                    for (int b = 0; b < column.length; b++) {
                        column[b][0] = ids[i][b];
                    }
                    INDArray alone = model.forward(column, active.get(i).alone());
                    assertSame(alone, together[i], "step " + step + ", cache " + twins.indexOf(active.get(i))
                            + " of " + active.size() + " together");
                }
            }
        } finally {
            for (Twin twin : twins) {
                twin.together().close();
                twin.alone().close();
            }
        }
    }

    private static void assertSame(INDArray alone, INDArray together, String what) {
        assertArrayEquals(alone.toFloatMatrix(), together.toFloatMatrix(), what);
    }
}
