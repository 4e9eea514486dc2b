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
 * size (whole register blocks, single vectors, a scalar tail) and every number of positions,
 * including rows read past their end into the next one and the cache's padding. The suite runs
 * it with this machine's vector width and again with 8-lane vectors (see the core pom).
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
                checkScores(headSize, width, width + 3);
                checkScores(headSize, width, Math.max(1, width - 3));    // rows shorter than width: read past their end
            }
        }
    }

    /** One head's scores over the second of two blocks, the last in the array before the cache's padding. */
    private void checkScores(int headSize, int width, int capacity) {
        float[] keysT = randoms(2 * headSize * capacity + CacheAttention.KEY_BLOCK);
        float[] qkv = randoms(3 * headSize + 11);
        int block = headSize * capacity;
        float scale = (float) (1 / Math.sqrt(headSize));
        float[] want = new float[width];
        for (int d = 0; d < headSize; d++) {
            VectorAxpy.axpy(qkv[11 + d] * scale, keysT, block + d * capacity, want, 0, width);
        }
        float[] got = new float[width];
        VectorDecodeAttention.scores(qkv, 11, scale, keysT, block, headSize, capacity, width, got);
        assertArrayEquals(want, got, "head size " + headSize + ", width " + width + ", capacity " + capacity);
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
