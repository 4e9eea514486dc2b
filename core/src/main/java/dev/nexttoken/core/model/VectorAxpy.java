package dev.nexttoken.core.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y += a·x} over Java arrays with the Vector API: the inner loop of {@link CacheAttention}'s
 * prompt queries (single queries use {@link VectorDecodeAttention}, which computes the same sums
 * in registers). Each vector is loaded, fused-multiply-added and stored in place. Fused
 * multiply-add rounds the same in every JIT tier. (A dot-product formulation needs a
 * {@code reduceLanes}, a sum across the vector's lanes, per output, which on Java 17 was several
 * times slower and allocated; accumulators kept in registers across a simple loop, as in
 * {@link VectorDecodeAttention}, do not. docs/PERFORMANCE.md has the measurement.)
 *
 * <p>Use only after {@link VectorMatmulSupport#isAvailable()} said yes.
 */
final class VectorAxpy {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorAxpy() {
    }

    /** {@code y[yOff + i] += a · x[xOff + i]} for {@code i < n}. */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int end = S.loopBound(n);
        int i = 0;
        for (; i < end; i += L) {
            FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
        }
    }

    /** {@code y[yOff + i·yStride + m] += a_i · x[xOff + m]} for the rows {@code i < 4} and {@code m < n}. */
    static void axpy4(float a0, float a1, float a2, float a3, float[] x, int xOff, float[] y, int yOff, int yStride,
                      int n) {
        int end = S.loopBound(n);
        int y1 = yOff + yStride;
        int y2 = y1 + yStride;
        int y3 = y2 + yStride;
        int m = 0;
        for (; m < end; m += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + m);
            v.fma(FloatVector.broadcast(S, a0), FloatVector.fromArray(S, y, yOff + m)).intoArray(y, yOff + m);
            v.fma(FloatVector.broadcast(S, a1), FloatVector.fromArray(S, y, y1 + m)).intoArray(y, y1 + m);
            v.fma(FloatVector.broadcast(S, a2), FloatVector.fromArray(S, y, y2 + m)).intoArray(y, y2 + m);
            v.fma(FloatVector.broadcast(S, a3), FloatVector.fromArray(S, y, y3 + m)).intoArray(y, y3 + m);
        }
        for (; m < n; m++) {
            float v = x[xOff + m];
            y[yOff + m] = Math.fma(a0, v, y[yOff + m]);
            y[y1 + m] = Math.fma(a1, v, y[y1 + m]);
            y[y2 + m] = Math.fma(a2, v, y[y2 + m]);
            y[y3 + m] = Math.fma(a3, v, y[y3 + m]);
        }
    }
}
