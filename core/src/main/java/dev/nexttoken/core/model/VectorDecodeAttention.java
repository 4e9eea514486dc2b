package dev.nexttoken.core.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two products of one decode query (one sequence, one head, one new position) over the KV
 * cache, with the Vector API and the partial sums in registers: {@link CacheAttention}'s decode
 * path.
 *
 * <p>Why: written as {@code y += a·x} loops ({@link VectorAxpy}), each of the {@code hs} key rows
 * and each of the {@code seen} value rows costs a pass that loads, adds to and stores the partial
 * sums again. Here a block of {@code 4·L} scores (or of {@code 4·L} output features) stays in four
 * registers while the loop runs over the key rows (or the cached positions), so the loop only
 * loads the cache. Each sum is built in the same order with the same fused multiply-adds, so the
 * results are bit for bit those of the loops. The saving, measured at batch 1 and batch 8, is in
 * docs/PERFORMANCE.md.
 *
 * <p>No vector is passed to or returned from a method (the JIT would box it if the call is not
 * inlined). Use only after {@link VectorMatmulSupport#isAvailable()} said yes.
 */
final class VectorDecodeAttention {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int L = S.length();
    /** Scores or output features kept in registers per pass: four vectors. */
    private static final int BLOCK = 4 * L;

    private VectorDecodeAttention() {
    }

    /**
     * {@code scores[j] = Σ_d (q[d]·scale) · Kᵀ[d, j]} for {@code j < width}, over one head's
     * transposed keys {@code Kᵀ [hs, capacity]}.
     *
     * @param qkv      holds the query, {@code hs} floats from {@code q}
     * @param scale    multiplies every query element first ({@code 1/√hs})
     * @param keysT    the cache's keys; row {@code d} of this head at {@code block + d*capacity}
     * @param width    scores to compute: a multiple of {@link #L}, read past the seen positions
     *                 (see {@link CacheAttention#KEY_BLOCK}: those scores are never used)
     * @param scores   receives {@code width} scores from index 0
     */
    static void scores(float[] qkv, int q, float scale, float[] keysT, int block, int headSize, int capacity,
                       int width, float[] scores) {
        assert width % L == 0 : "width " + width + " is not a multiple of " + L;
        sumOfRows(qkv, q, scale, keysT, block, capacity, headSize, width, scores, 0);
    }

    /**
     * {@code out[o + m] = Σ_{j < seen} w[j] · V[j, m]} for {@code m < hs}, over one head's values
     * {@code V [capacity, hs]}.
     *
     * @param values the cache's values; row {@code j} of this head at {@code block + j*hs}
     */
    static void weightedValues(float[] w, int seen, float[] values, int block, int headSize, float[] out, int o) {
        sumOfRows(w, 0, 1f, values, block, headSize, seen, headSize, out, o);   // w[j]·1 is w[j]
    }

    /**
     * Both products: {@code out[o + m] = Σ_{i < rows} (a[a0 + i]·scale) · M[i, m]} for
     * {@code m < width}, row {@code i} of {@code M} at {@code from + i*stride}; each sum is the
     * chain of FMAs over {@code i} in order. Blocks of {@link #BLOCK} outputs stay in four
     * registers, then single vectors, then a scalar tail.
     */
    private static void sumOfRows(float[] a, int a0, float scale, float[] matrix, int from, int stride, int rows,
                                  int width, float[] out, int o) {
        int m = 0;
        for (; m + BLOCK <= width; m += BLOCK) {
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = FloatVector.zero(S);
            FloatVector s2 = FloatVector.zero(S);
            FloatVector s3 = FloatVector.zero(S);
            int row = from + m;
            for (int i = 0; i < rows; i++, row += stride) {
                FloatVector ai = FloatVector.broadcast(S, a[a0 + i] * scale);
                s0 = FloatVector.fromArray(S, matrix, row).fma(ai, s0);
                s1 = FloatVector.fromArray(S, matrix, row + L).fma(ai, s1);
                s2 = FloatVector.fromArray(S, matrix, row + 2 * L).fma(ai, s2);
                s3 = FloatVector.fromArray(S, matrix, row + 3 * L).fma(ai, s3);
            }
            s0.intoArray(out, o + m);
            s1.intoArray(out, o + m + L);
            s2.intoArray(out, o + m + 2 * L);
            s3.intoArray(out, o + m + 3 * L);
        }
        for (; m + L <= width; m += L) {
            FloatVector s0 = FloatVector.zero(S);
            int row = from + m;
            for (int i = 0; i < rows; i++, row += stride) {
                s0 = FloatVector.fromArray(S, matrix, row).fma(FloatVector.broadcast(S, a[a0 + i] * scale), s0);
            }
            s0.intoArray(out, o + m);
        }
        for (; m < width; m++) {
            float sum = 0f;
            for (int i = 0; i < rows; i++) {
                sum = Math.fma(a[a0 + i] * scale, matrix[from + i * stride + m], sum);
            }
            out[o + m] = sum;
        }
    }
}
