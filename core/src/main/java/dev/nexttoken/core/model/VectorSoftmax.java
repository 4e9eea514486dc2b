package dev.nexttoken.core.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The attention softmax written with the Vector API ({@code jdk.incubator.vector}), with its own
 * {@code exp}: a 512-token prompt computes ~19 M exponentials (one per visible score of every
 * head); {@link Math#exp} one element at a time is not vectorized, and at that count the softmax
 * took many times as long with it as with this (docs/PERFORMANCE.md).
 *
 * <p>{@link #exp}: {@code exp(x) = 2ⁿ · exp(r)} with {@code n = round(x · log₂e)} and
 * {@code r = x − n·ln 2} (ln 2 in two parts, so {@code r} is exact to float precision), {@code exp(r)}
 * on {@code |r| ≤ ln 2 / 2} by Cephes' degree-7 polynomial (relative error ~1e-7), {@code 2ⁿ} built
 * in the exponent bits. Inputs above 88 are clamped to it (where {@code 2ⁿ} stays finite); below
 * −87.3 the result is 0 (the true value is under 1.2e-38: nothing next to the maximum's 1 in a
 * softmax shifted by its maximum, which only sees {@code x ≤ 0}). Every operation is a basic
 * IEEE one (FMA included), in the same order in the vector loop and in {@link #exp(float)} for the
 * tail, so a score gets the same weight wherever it sits in a row.
 *
 * <p>This class imports the incubating Vector API: use it only after
 * {@link VectorMatmulSupport#isAvailable()} said yes.
 */
final class VectorSoftmax {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private static final float LOWEST = -87.33654f;       // ln(smallest normal float)
    private static final float HIGHEST = 88f;              // n ≤ 127: 2ⁿ stays finite
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;     // ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 bits
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 · 2²³: adding it rounds a float of magnitude < 2²² to an integer, held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private VectorSoftmax() {
    }

    /** Softmax of {@code w[from … from+seen)} in place, shifted by the maximum for stability. */
    static void softmax(float[] w, int from, int seen) {
        int to = from + seen;
        int vectorEnd = from + S.loopBound(seen);
        FloatVector maxes = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = from;
        for (; j < vectorEnd; j += L) {
            maxes = maxes.max(FloatVector.fromArray(S, w, j));
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; j < to; j++) {
            max = Math.max(max, w[j]);
        }
        FloatVector sums = FloatVector.zero(S);
        for (j = from; j < vectorEnd; j += L) {
            // exp(w - max), as in exp(float) below, one vector at a time
            FloatVector shifted = FloatVector.fromArray(S, w, j).sub(max);
            FloatVector x = shifted.max(LOWEST).min(HIGHEST);
            FloatVector rounded = x.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUNDER));
            FloatVector n = rounded.sub(ROUNDER);
            FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
            r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(FloatVector.broadcast(S, P0), FloatVector.broadcast(S, P1));
            p = p.fma(r, FloatVector.broadcast(S, P2));
            p = p.fma(r, FloatVector.broadcast(S, P3));
            p = p.fma(r, FloatVector.broadcast(S, P4));
            p = p.fma(r, FloatVector.broadcast(S, P5));
            p = p.fma(r.mul(r), r.add(1f));
            IntVector bits = rounded.reinterpretAsInts().sub(ROUNDER_BITS - 127)
                    .lanewise(VectorOperators.LSHL, 23);                    // (n + 127) << 23: 2ⁿ
            FloatVector e = p.mul(bits.reinterpretAsFloats())
                    .blend(0f, shifted.lt(LOWEST));                        // underflow: 0, as Math.exp gives
            e.intoArray(w, j);
            sums = sums.add(e);
        }
        float sum = sums.reduceLanes(VectorOperators.ADD);
        for (; j < to; j++) {
            float e = exp(w[j] - max);
            w[j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (j = from; j < vectorEnd; j += L) {
            FloatVector.fromArray(S, w, j).mul(inv).intoArray(w, j);
        }
        for (; j < to; j++) {
            w[j] *= inv;
        }
    }

    /** {@code exp(x)} to ~1e-7 relative; 0 below −87.3 (where the true value is under 1.2e-38), {@code exp(88)} above 88. */
    static float exp(float value) {
        if (value < LOWEST) {
            return 0f;
        }
        float x = Math.min(value, HIGHEST);
        float rounded = Math.fma(x, LOG2E, ROUNDER);
        float n = rounded - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r + 1f);
        int bits = (Float.floatToRawIntBits(rounded) - (ROUNDER_BITS - 127)) << 23;
        return p * Float.intBitsToFloat(bits);
    }
}
