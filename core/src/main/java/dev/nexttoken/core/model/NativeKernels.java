package dev.nexttoken.core.model;

/**
 * <strong>TEMPORARY PLACEHOLDER</strong> for the native kernels of issue 19 (the JNI class with
 * AVX2 and AVX-512 variants chosen at runtime, written on another branch): this class has exactly
 * that class's signatures, so that the formats branch compiles and runs, and is to be replaced by
 * it at the merge. Here, the {@link WeightFormat#F32} products delegate to today's
 * {@link NativeGemv} (AVX-512 only); every other format throws
 * {@link UnsupportedOperationException}, which {@link MatrixKernels#choose} detects (it probes
 * each format once), so 16- and 8-bit models run on the Java fallback until the merge.
 */
final class NativeKernels {

    /** The most rows of {@code x} per {@link #linear} and {@link #dots} call. */
    static final int MAX_ROWS = 16;

    private NativeKernels() {
    }

    /** Whether the library loaded and the CPU runs a variant; here, whether {@link NativeGemv} is. */
    static boolean isAvailable() {
        return NativeGemv.isAvailable();
    }

    /** The variant that runs: {@code "avx512"}, {@code "avx2"} or {@code "none"}; here avx512 or none. */
    static String variant() {
        return isAvailable() ? "avx512" : "none";
    }

    /**
     * {@code y[rows, n] = (accumulate ? y : 0) + x[rows, k] · W + bias}; {@code W [k, n]} in
     * {@code format} at address {@code w} (Q8: int8 at {@code w}, float16 scales
     * {@code [k, ceil(n/32)]} at {@code scales}; 0 otherwise); over the cores; row-count
     * invariant; rows 1..16. Placeholder: F32 only.
     */
    static void linear(WeightFormat format, long w, long scales, float[] x, int xOff, int rows, int k, int n,
                       float[] bias, boolean accumulate, float[] y, int yOff) {
        requireF32(format);
        NativeGemv.linear(x, xOff, rows, k, w, n, bias, accumulate, y, yOff);
    }

    /**
     * lm_head: for {@code r < rows} (1..16), {@code y_r[v] = W[v,·]·x[xOff + r·k, +k)} for every
     * {@code v < vocab}; {@code W [vocab, k]} (Q8 scales {@code [vocab, ceil(k/32)]}); row
     * {@code r}'s floats at address {@code yRows[r]}; row-count invariant. Placeholder: F32 only.
     */
    static void dots(WeightFormat format, long w, long scales, float[] x, int xOff, int rows, int k, int vocab,
                     long[] yRows) {
        requireF32(format);
        if (rows == 1) {
            NativeGemv.dots(x, xOff, k, w, vocab, yRows[0]);
        } else {
            NativeGemv.dots(x, xOff, rows, k, w, vocab, yRows);
        }
    }

    /**
     * {@code out[outOff + (r - r0)·cols + j] = W[r, j]} as float32, {@code r} in {@code [r0, r1)}.
     * Placeholder: F32 only, a copy.
     */
    static void widen(WeightFormat format, long w, long scales, int cols, long r0, long r1, float[] out, int outOff) {
        requireF32(format);
        WeightMatrix.floatsAt(w + r0 * cols * Float.BYTES, (r1 - r0) * cols).get(out, outOff, (int) ((r1 - r0) * cols));
    }

    /** The same into native memory at address {@code out}. Placeholder: F32 only, a copy. */
    static void widen(WeightFormat format, long w, long scales, int cols, long r0, long r1, long out) {
        requireF32(format);
        long count = (r1 - r0) * cols;
        WeightMatrix.floatsAt(out, count).put(WeightMatrix.floatsAt(w + r0 * cols * Float.BYTES, count));
    }

    private static void requireF32(WeightFormat format) {
        if (format != WeightFormat.F32) {
            throw new UnsupportedOperationException("the placeholder NativeKernels runs F32 only, not " + format);
        }
        if (!isAvailable()) {
            throw new IllegalStateException("the native kernels are not available");
        }
    }
}
