package dev.nexttoken.core.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The CPU fast path and the plain Nd4j path give the same logits: prefill, decode, batches, all positions. */
class ComputePathsAgreeTest {

    @Test
    void bothPathsGiveTheSameLogits() {
        Gpt2Config config = new Gpt2Config(3, 4, 64, 48, 1000, 1e-5);
        try (Gpt2Model ops = new Gpt2Model(Gpt2Weights.random(config, 7), ComputePath.ND4J_OPS);
             Gpt2Model blas = new Gpt2Model(Gpt2Weights.random(config, 7), ComputePath.CPU_BLAS);
             KvCache opsCache = ops.newCache(3);
             KvCache blasCache = blas.newCache(3)) {
            int[][] prompt = {{1, 2, 3, 4, 5}, {9, 8, 7, 6, 5}, {500, 400, 300, 200, 999}};
            assertClose(ops.forward(prompt, opsCache), blas.forward(prompt, blasCache));
            for (int step = 0; step < 10; step++) {
                int[][] next = {{step}, {100 + step}, {999 - step}};
                assertClose(ops.forward(next, opsCache), blas.forward(next, blasCache));
            }
            int[][] two = {{11, 12}, {13, 14}, {15, 16}};
            assertClose(ops.forward(two, opsCache), blas.forward(two, blasCache));
            try (INDArray a = ops.forwardAllPositions(prompt); INDArray b = blas.forwardAllPositions(prompt)) {
                assertClose(a, b);
            }
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
