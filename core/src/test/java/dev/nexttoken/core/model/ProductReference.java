package dev.nexttoken.core.model;

import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The reference the weight-product kernels ({@link VectorGemm}, {@link NativeKernels}) are checked
 * against: {@code y [rows, n] = (accumulate ? y : 0) + bias + x [rows, k] · W} in double.
 *
 * <p>Tolerance: {@code |got - want| ≤ 1e-5 · sqrt(Σ term²)} per output (terms: the products, the
 * bias and the starting value), i.e. relative to the natural size of the sum; float32 sums in
 * another order stay far inside it, a wrong or missing term does not.
 */
final class ProductReference {

    static final double TOLERANCE = 1e-5;

    private ProductReference() {
    }

    /**
     * Compares every output of a product written into {@code y} from {@code yOff} with the
     * reference, and that nothing before or after the output was written.
     *
     * @param w      {@code W [k, n]} row-major
     * @param before {@code y} as it was before the product
     */
    static void assertLinear(String what, float[] x, int xOff, int rows, int k, float[] w, int n, float[] bias,
                             boolean accumulate, float[] before, float[] y, int yOff) {
        double[] sums = new double[n];
        double[] squares = new double[n];
        for (int r = 0; r < rows; r++) {
            // reference row r: start values, then the k products added along the rows of W
            for (int j = 0; j < n; j++) {
                double start = (accumulate ? before[yOff + r * n + j] : 0) + (bias == null ? 0 : bias[j]);
                sums[j] = start;
                squares[j] = start * start;
            }
            for (int i = 0; i < k; i++) {
                double xi = x[xOff + r * k + i];
                for (int j = 0; j < n; j++) {
                    double term = xi * w[i * n + j];
                    sums[j] += term;
                    squares[j] += term * term;
                }
            }
            for (int j = 0; j < n; j++) {
                double got = y[yOff + r * n + j];
                double error = Math.abs(got - sums[j]);
                double scale = Math.sqrt(squares[j]);
                if (!(error <= TOLERANCE * scale + 1e-30)) {
                    fail(what + ": [" + r + ", " + j + "] got " + got + ", want " + sums[j]
                            + " (error " + error + ", scale " + scale + ")");
                }
            }
        }
        for (int i = 0; i < yOff; i++) {
            assertEquals(before[i], y[i], what + ": wrote before the output");
        }
        for (int i = yOff + rows * n; i < y.length; i++) {
            assertEquals(before[i], y[i], what + ": wrote past the output");
        }
    }

    /**
     * {@code x}'s rows {@code [rows, k]} from {@code xOff} (a copy of the whole array) as the
     * integer Q8 kernels ({@code avx512-vnni}) read them: each row's blocks of 32 values rounded to
     * {@code q · sx}, {@code sx = max|x| / 127} and {@code q = rint(x · (127 / max|x|))}, a block
     * whose {@code max|x|} is below {@code 1e-30} as zeros, as nexttoken_kernels.c documents;
     * written here independently of it (finite x only).
     */
    static float[] q8Rows(float[] x, int xOff, int rows, int k) {
        float[] out = x.clone();
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < k; b += WeightFormat.Q8_BLOCK) {
                int from = xOff + r * k + b;
                int to = xOff + r * k + Math.min(k, b + WeightFormat.Q8_BLOCK);
                float amax = 0f;
                for (int i = from; i < to; i++) {
                    amax = Math.max(amax, Math.abs(x[i]));
                }
                float inv = amax >= 1e-30f ? 127f / amax : 0f;
                float sx = amax / 127f;
                for (int i = from; i < to; i++) {
                    float scaled = x[i] * inv;
                    out[i] = (float) (Math.rint(scaled) * sx);
                }
            }
        }
        return out;
    }

    /** Whether the kernels of {@code isa} compute Q8's linear and gemm products on {@link #q8Rows}. */
    static boolean roundsRowsForQ8(NativeKernels.Isa isa, WeightFormat format) {
        return isa == NativeKernels.Isa.AVX512_VNNI && format == WeightFormat.Q8;
    }

    /** The same for the kernels a model reports by name ({@link MatrixKernels#name()}, {@code Gpt2Model.kernel()}). */
    static boolean roundsRowsForQ8(String kernel, WeightFormat format) {
        return roundsRowsForQ8(NativeKernels.Isa.AVX512_VNNI, format)
                && kernel.equals("native " + NativeKernels.Isa.AVX512_VNNI.label);
    }

    /** That {@code call} throws an {@link IllegalArgumentException} with exactly this message. */
    static void assertMessage(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expected, e.getMessage());
    }
}
