package dev.nexttoken.core.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link CacheAttention} against causal attention written out in double over the same cache
 * layout (keys transposed), after the new keys and values are written into it: batches, prompts
 * after a cached prefix, single decode steps, odd head sizes, a full cache.
 */
class CacheAttentionTest {

    private static final double TOLERANCE = 2e-6;

    @Test
    void matchesCausalAttentionInDouble() {
        Random random = new Random(1);
        // {heads, headSize, batch, time, start, capacity}
        int[][] cases = {
                {12, 64, 1, 1, 0, 1024},       // GPT-2 small, first step
                {12, 64, 1, 1, 899, 1024},     // a decode step at 900 positions
                {12, 64, 8, 1, 150, 300},      // a batch decode step
                {12, 64, 1, 37, 0, 64},        // a prompt (as matrix products with the Vector API)
                {4, 64, 1, 200, 0, 256},       // a prompt over several causal blocks, the last partial
                {2, 64, 2, 130, 70, 256},      // several blocks after a cached prefix
                {6, 64, 2, 20, 30, 64},        // a batch of prompts after a cached prefix
                {4, 16, 3, 5, 7, 20},          // a prompt after a cached prefix
                {2, 32, 2, 3, 1, 4},           // cache exactly full
                {3, 5, 2, 4, 2, 8},            // an odd head size
        };
        for (int[] k : cases) {
            check(random, k[0], k[1], k[2], k[3], k[4], k[5]);
        }
    }

    @Test
    void anExtremeScoreTakesAllTheWeightWithoutOverflow() {
        Gpt2Config shape = config(1, 16);
        int capacity = 3;
        float[] keys = new float[capacity * 16 + CacheAttention.KEY_BLOCK];
        float[] values = new float[capacity * 16];
        float[] qkv = new float[3 * 16];
        for (int d = 0; d < 16; d++) {
            qkv[d] = 1000f;                       // q
            keys[d * capacity + 1] = 1000f;       // key 1 (keys are [hs, capacity]) scores 4e6 / 4
            values[16 + d] = d;                   // its value row
        }
        float[] out = new float[16];
        CacheAttention.attend(qkv, keys, values, shape, 1, 1, capacity - 1, capacity, out);
        for (int d = 0; d < 16; d++) {
            assertEquals(d, out[d], 1e-6);
        }
    }

    private static void check(Random random, int heads, int headSize, int batch, int time, int start, int capacity) {
        Gpt2Config shape = config(heads, headSize);
        int c = heads * headSize;
        float[] qkv = randoms(random, batch * time * 3 * c);
        float[] keys = randoms(random, batch * heads * capacity * headSize + CacheAttention.KEY_BLOCK);
        float[] values = randoms(random, batch * heads * capacity * headSize);
        float[] out = new float[batch * time * c];
        Expected want = reference(qkv, keys, values, heads, headSize, batch, time, start, capacity);
        CacheAttention.attend(qkv, keys, values, shape, batch, time, start, capacity, out);
        String what = heads + " heads of " + headSize + ", batch " + batch + ", " + time + " new after " + start;
        assertArrayEquals(want.out(), out, (float) TOLERANCE, what);
        assertArrayEquals(want.keys(), keys, what + ": the cache's keys after the call");
        assertArrayEquals(want.values(), values, what + ": the cache's values after the call");
    }

    /** The attention output, and the cache once the new keys and values are written into it. */
    private record Expected(float[] out, float[] keys, float[] values) {
    }

    /** Attention written out in double, after writing the new keys and values into copies of the cache. */
    private static Expected reference(float[] qkv, float[] cachedKeys, float[] cachedValues, int heads, int hs,
                                      int batch, int time, int start, int capacity) {
        int c = heads * hs;
        float[] keys = cachedKeys.clone();
        float[] values = cachedValues.clone();
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int block = (b * heads + h) * capacity * hs;
                for (int t = 0; t < time; t++) {
                    int row = (b * time + t) * 3 * c + h * hs;
                    for (int d = 0; d < hs; d++) {
                        keys[block + d * capacity + start + t] = qkv[row + c + d];      // Kᵀ [hs, capacity]
                        values[block + (start + t) * hs + d] = qkv[row + 2 * c + d];    // V [capacity, hs]
                    }
                }
            }
        }
        float[] out = new float[batch * time * c];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int block = (b * heads + h) * capacity * hs;
                for (int t = 0; t < time; t++) {
                    int q = (b * time + t) * 3 * c + h * hs;
                    int seen = start + t + 1;
                    double[] w = new double[seen];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < seen; j++) {
                        double dot = 0;
                        for (int d = 0; d < hs; d++) {
                            dot += (double) qkv[q + d] * keys[block + d * capacity + j];
                        }
                        w[j] = dot / Math.sqrt(hs);
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < seen; j++) {
                        w[j] = Math.exp(w[j] - max);
                        sum += w[j];
                    }
                    for (int d = 0; d < hs; d++) {
                        double y = 0;
                        for (int j = 0; j < seen; j++) {
                            y += w[j] / sum * values[block + j * hs + d];
                        }
                        out[(b * time + t) * c + h * hs + d] = (float) y;
                    }
                }
            }
        }
        return new Expected(out, keys, values);
    }

    private static Gpt2Config config(int heads, int headSize) {
        return new Gpt2Config(1, heads, heads * headSize, 1024, 64, 1e-5);
    }

    private static float[] randoms(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
