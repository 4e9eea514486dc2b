package dev.nexttoken.core.model;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link VectorLmHead} against a plain reference loop (in double): random shapes with and without
 * tails (widths that do not fill a vector, odd vocabularies), batches of 1 to 16 rows, weights in
 * direct (native) and heap buffers, and weights read in place from Nd4j arrays (also by
 * {@link VectorGemm}). Skipped when the JVM runs without {@code --add-modules jdk.incubator.vector}.
 *
 * <p>Tolerance: {@code |got - want| ≤ 1e-4 · sqrt(Σ (x_i w_i)²)} per output, i.e. 1e-4 relative
 * to the natural size of a sum of {@code k} random terms; float32 sums in another order stay far
 * inside it (~{@code 6e-8 · sqrt(k)}), a wrong or missing term does not.
 */
class VectorLmHeadTest {

    private static final double TOLERANCE = 1e-4;

    @BeforeEach
    void needsVectorApi() {
        assumeTrue(VectorMatmulSupport.isAvailable(), "the JVM runs without " + VectorMatmulSupport.MODULE);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 8, 16})
    void lmHeadMatchesReference(int rows) {
        Random random = new Random(400 + rows);
        // GPT-2 small's width with an odd vocabulary (an odd last row per thread)
        checkLmHead(random, rows, 768, 5003, true);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 8, 16})
    void lmHeadHandlesTailsAndOddShapes(int rows) {
        int lanes = VectorGemm.lanes();
        Random random = new Random(500 + rows);
        int[] cs = {1, lanes - 1, lanes, lanes + 1, 2 * lanes, 3 * lanes + 5, 100};
        int[] vocabs = {1, 2, 3, 257, 600};
        for (int c : cs) {
            for (int vocab : vocabs) {
                checkLmHead(random, rows, c, vocab, random.nextBoolean());
            }
        }
    }

    @Test
    void readsWeightsInPlaceFromAnNd4jArray() {
        Random random = new Random(600);
        int rows = 3;
        int k = 50;
        int n = 2 * VectorGemm.lanes() + 5;
        INDArray w = Nd4j.rand(DataType.FLOAT, k, n).subi(0.5);
        float[] x = randomFloats(random, rows * k);
        float[] y = new float[rows * n];
        VectorGemm.linear(x, 0, rows, k, VectorMatmulSupport.bytes(w), n, null, false, y, 0);
        float[] wFloats = w.data().asFloat();
        assertClose(referenceLinear(x, 0, rows, k, wFloats, n, null, null), y, 0, rows, n, "nd4j weights");

        INDArray wte = Nd4j.rand(DataType.FLOAT, 301, k).subi(0.5);
        INDArray logits = Nd4j.create(DataType.FLOAT, rows, 301);
        FloatBuffer out = VectorMatmulSupport.bytes(logits).asFloatBuffer();
        VectorLmHead.lmHead(x, 0, rows, k, VectorMatmulSupport.bytes(wte), 301, out, 0);
        float[] got = logits.data().asFloat();
        assertClose(referenceLmHead(x, 0, rows, k, wte.data().asFloat(), 301), got, 0, rows, 301, "nd4j logits");
    }

    @Test
    void rejectsWrongSizes() {
        float[] x = new float[8];
        ByteBuffer w = ByteBuffer.allocateDirect(4 * 4 * 4);
        assertThrows(IllegalArgumentException.class, () -> VectorLmHead.lmHead(x, 0, 2, 4, w, 4, FloatBuffer.allocate(7), 0));
        assertThrows(IllegalArgumentException.class, () -> VectorLmHead.lmHead(x, 0, 2, 4, w, 5, FloatBuffer.allocate(10), 0));
        assertThrows(IllegalArgumentException.class, () -> VectorMatmulSupport.bytes(Nd4j.create(DataType.DOUBLE, 2, 2)));
        assertThrows(IllegalArgumentException.class, () -> VectorMatmulSupport.bytes(Nd4j.create(DataType.FLOAT, 4, 4).getRow(1)));
    }

    /** Runs {@link VectorLmHead#lmHead} into a buffer with room on both sides and compares. */
    private static void checkLmHead(Random random, int rows, int c, int vocab, boolean direct) {
        float[] wteFloats = randomFloats(random, vocab * c);
        ByteBuffer wte = floats(wteFloats, direct);
        int xOff = random.nextInt(5);
        int outOff = random.nextInt(5);
        float[] x = randomFloats(random, xOff + rows * c);
        FloatBuffer logits = FloatBuffer.allocate(outOff + rows * vocab + 2);
        logits.put(0, -7f);
        VectorLmHead.lmHead(x, xOff, rows, c, wte, vocab, logits, outOff);
        float[] got = logits.array();
        String what = "lmHead rows=" + rows + " c=" + c + " vocab=" + vocab;
        assertClose(referenceLmHead(x, xOff, rows, c, wteFloats, vocab), got, outOff, rows, vocab, what);
        assertEquals(outOff == 0 ? got[0] : -7f, got[0], what + ": wrote before the output");
        assertEquals(0f, got[got.length - 1], what + ": wrote past the output");
    }

    /** {@code [rows][n]}: each output as {value, sqrt(Σ term²)} packed as {@code [rows][2n]}. */
    private static double[][] referenceLinear(float[] x, int xOff, int rows, int k, float[] w, int n, float[] bias,
                                              float[] start, int yOff) {
        double[][] out = new double[rows][2 * n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                double squares = 0;
                double base = (start == null ? 0 : start[yOff + r * n + j]) + (bias == null ? 0 : bias[j]);
                for (int i = 0; i < k; i++) {
                    double term = (double) x[xOff + r * k + i] * w[i * n + j];
                    sum += term;
                    squares += term * term;
                }
                out[r][2 * j] = base + sum;
                out[r][2 * j + 1] = Math.sqrt(squares + base * base);
            }
        }
        return out;
    }

    private static double[][] referenceLinear(float[] x, int xOff, int rows, int k, float[] w, int n, float[] bias,
                                              float[] start) {
        return referenceLinear(x, xOff, rows, k, w, n, bias, start, 0);
    }

    /** {@code [rows][2V]}: each logit as {value, sqrt(Σ term²)}. */
    private static double[][] referenceLmHead(float[] x, int xOff, int rows, int c, float[] wte, int vocab) {
        double[][] out = new double[rows][2 * vocab];
        for (int r = 0; r < rows; r++) {
            for (int v = 0; v < vocab; v++) {
                double sum = 0;
                double squares = 0;
                for (int i = 0; i < c; i++) {
                    double term = (double) x[xOff + r * c + i] * wte[v * c + i];
                    sum += term;
                    squares += term * term;
                }
                out[r][2 * v] = sum;
                out[r][2 * v + 1] = Math.sqrt(squares);
            }
        }
        return out;
    }

    private static void assertClose(double[][] want, float[] got, int off, int rows, int n, String what) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double expected = want[r][2 * j];
                double scale = want[r][2 * j + 1];
                double actual = got[off + r * n + j];
                double error = Math.abs(actual - expected);
                int row = r;
                int column = j;
                assertTrue(error <= TOLERANCE * scale + 1e-30,
                        () -> what + ": [" + row + ", " + column + "] got " + actual + ", want " + expected
                                + " (error " + error + ", scale " + scale + ")");
            }
        }
    }

    /** Uniform in [-1, 1); shared with {@link VectorGemmTest}. */
    static float[] randomFloats(Random random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return values;
    }

    /** The floats as bytes in native order, in a direct (like native memory) or heap buffer; shared with {@link VectorGemmTest}. */
    static ByteBuffer floats(float[] values, boolean direct) {
        ByteBuffer bytes = direct ? ByteBuffer.allocateDirect(values.length * Float.BYTES)
                : ByteBuffer.allocate(values.length * Float.BYTES);
        bytes.order(ByteOrder.nativeOrder()).asFloatBuffer().put(values);
        // hand the kernels a big-endian view of the same bytes: they must not depend on the buffer's order
        return bytes.order(ByteOrder.BIG_ENDIAN);
    }
}
