package dev.nexttoken.core.model;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link VectorDecodeAttention} gives bit for bit what the {@code y += a·x} loops it replaced
 * ({@link VectorAxpy}) give: the same fused multiply-adds in the same order, for every head
 * size (whole register blocks, single vectors, a scalar tail) and every number of positions.
 */
class VectorDecodeAttentionTest {

    private final Random random = new Random(7);

    @BeforeEach
    void needsTheVectorApi() {
        assumeTrue(VectorMatmulSupport.isAvailable(), "the JVM runs without " + VectorMatmulSupport.MODULE);
    }

    @Test
    void scoresEqualTheAxpyLoops() {
        int lanes = VectorDecodeAttention.L;
        for (int headSize : new int[]{64, 5, 16, 80}) {
            for (int width : new int[]{lanes, 4 * lanes, 5 * lanes, 9 * lanes}) {
                int capacity = width + 3;
                float[] keysT = randoms(2 * headSize * capacity + lanes);
                float[] qkv = randoms(3 * headSize + 11);
                int block = headSize * capacity;                    // the second head's block
                float scale = (float) (1 / Math.sqrt(headSize));
                float[] want = new float[width];
                for (int d = 0; d < headSize; d++) {
                    VectorAxpy.axpy(qkv[11 + d] * scale, keysT, block + d * capacity, want, 0, width);
                }
                float[] got = new float[width];
                VectorDecodeAttention.scores(qkv, 11, scale, keysT, block, headSize, capacity, width, got);
                assertArrayEquals(want, got, "head size " + headSize + ", width " + width);
            }
        }
    }

    @Test
    void weightedValuesEqualTheAxpyLoops() {
        for (int headSize : new int[]{64, 5, 16, 80, 3 * VectorDecodeAttention.L + 2}) {
            for (int seen : new int[]{1, 2, 17, 300}) {
                float[] values = randoms((seen + 2) * headSize);
                float[] w = randoms(seen);
                int block = 2 * headSize;                           // rows start past two others
                float[] want = new float[headSize + 4];
                for (int j = 0; j < seen; j++) {
                    VectorAxpy.axpy(w[j], values, block + j * headSize, want, 4, headSize);
                }
                float[] got = new float[headSize + 4];
                VectorDecodeAttention.weightedValues(w, seen, values, block, headSize, got, 4);
                assertArrayEquals(want, got, "head size " + headSize + ", " + seen + " positions");
                assertArrayEquals(new float[4], Arrays.copyOf(got, 4), "writes nothing before its output");
            }
        }
    }

    private float[] randoms(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
