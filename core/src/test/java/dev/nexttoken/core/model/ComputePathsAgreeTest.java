package dev.nexttoken.core.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The CPU fast path and the plain Nd4j path give the same logits: prefill, decode, batches, all positions. */
class ComputePathsAgreeTest {

    @Test
    void bothPathsGiveTheSameLogits() {
        Gpt2Config config = new Gpt2Config(3, 4, 64, 48, 1000, 1e-5);
        try (BothPaths paths = new BothPaths(config, 7, 3)) {
            int[][] prompt = {{1, 2, 3, 4, 5}, {9, 8, 7, 6, 5}, {500, 400, 300, 200, 999}};
            paths.assertSameLogits(prompt);
            for (int step = 0; step < 10; step++) {
                paths.assertSameLogits(new int[][] {{step}, {100 + step}, {999 - step}});
            }
            paths.assertSameLogits(new int[][] {{11, 12}, {13, 14}, {15, 16}});
            try (INDArray a = paths.ops.forwardAllPositions(prompt); INDArray b = paths.blas.forwardAllPositions(prompt)) {
                assertClose(a, b);
            }
        }
    }

    @Test
    void bothPathsGiveTheSameLogitsForOneSequence() {
        // one row per decode step: the CPU path's sgemv or native kernel (NativeKernels), not VectorGemm;
        // a one-token prompt is one row too
        try (BothPaths paths = new BothPaths(new Gpt2Config(2, 4, 64, 48, 1000, 1e-5), 8, 1)) {
            paths.assertSameLogits(new int[][] {{42}});
            for (int step = 0; step < 20; step++) {
                paths.assertSameLogits(new int[][] {{(step * 37) % 1000}});
            }
        }
    }

    /** The same random weights on both compute paths, each with a cache for {@code batch} sequences. */
    private static final class BothPaths implements AutoCloseable {
        final Gpt2Model ops;
        final Gpt2Model blas;
        final KvCache opsCache;
        final KvCache blasCache;

        BothPaths(Gpt2Config config, long seed, int batch) {
            ops = new Gpt2Model(Gpt2Weights.random(config, seed), ComputePath.ND4J_OPS);
            blas = new Gpt2Model(Gpt2Weights.random(config, seed), ComputePath.CPU_BLAS);
            opsCache = ops.newCache(batch);
            blasCache = blas.newCache(batch);
        }

        /** Feeds {@code ids} to both and compares the last positions' logits. */
        void assertSameLogits(int[][] ids) {
            assertClose(ops.forward(ids, opsCache), blas.forward(ids, blasCache));
        }

        @Override
        public void close() {
            blasCache.close();
            opsCache.close();
            blas.close();
            ops.close();
        }
    }

    private static void assertClose(INDArray expected, INDArray actual) {
        float[][] e = expected.toFloatMatrix();
        float[][] a = actual.toFloatMatrix();
        for (int r = 0; r < e.length; r++) {
            assertArrayEquals(e[r], a[r], 2e-5f, "row " + r);
        }
    }
}
