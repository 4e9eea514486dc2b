package dev.nexttoken.core.model;

import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static dev.nexttoken.core.model.ProductReference.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NativeGemv} against a plain reference loop in double: 1 to 16 rows of {@code x}, {@code k} around the kernel's
 * 8-row passes and the split over the cores, {@code n} around its 16-float vectors (the masked
 * tail), with and without bias and accumulation, at nonzero offsets; the lm_head's row dot
 * products likewise; and that it is loaded wherever the build made it and the CPU can run it, so
 * that the rest of this class cannot pass by being skipped.
 *
 * <p>Tolerance as in {@link ProductReference}: {@code |got - want| ≤ 1e-5 · sqrt(Σ term²)}.
 */
class NativeGemvTest {

    private static final double TOLERANCE = ProductReference.TOLERANCE;

    @Test
    void isAvailableWhereverTheBuildMadeItAndTheCpuHasAvx512() throws IOException {
        // the native-kernel profile of core/pom.xml (Linux amd64 with /usr/bin/gcc) sets this
        assumeTrue(Boolean.getBoolean("nexttoken.native.built"), "the build left the native kernel out");
        assumeTrue(!"false".equalsIgnoreCase(System.getProperty(NativeGemv.PROPERTY, "true").trim()),
                "turned off with -D" + NativeGemv.PROPERTY + "=false");
        assertTrue(NativeGemv.class.getResource(NativeGemv.RESOURCE) != null,
                "the build did not put " + NativeGemv.RESOURCE + " among the classes");
        boolean avx512 = Files.readString(Path.of("/proc/cpuinfo")).contains(" avx512f");
        assertEquals(avx512, NativeGemv.isAvailable(), "available exactly when the CPU has AVX-512");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8, 9, NativeGemv.MAX_ROWS})
    void matchesReferenceAroundPassesVectorsAndParts(int rows) {
        assumeTrue(NativeGemv.isAvailable(), "no native kernel here");
        Random random = new Random(5 + rows);
        int[] ks = {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 2 * RowSplit.MIN_PART_ROWS + 7, 768, 3072};
        int[] ns = {1, 5, 15, 16, 17, 31, 33, 768, 2304, 1601};
        for (int k : ks) {
            for (int n : ns) {
                if ((long) rows * k * n > 4_000_000L) {   // the reference loop is slow: one variant of the big ones
                    check(random, rows, k, n, true, true);
                    continue;
                }
                for (int variant = 0; variant < 4; variant++) {
                    check(random, rows, k, n, (variant & 1) != 0, (variant & 2) != 0);
                }
            }
        }
    }

    @Test
    void dotsMatchReferenceAroundPassesVectorsAndParts() {
        assumeTrue(NativeGemv.isAvailable(), "no native kernel here");
        Random random = new Random(6);
        int[] ks = {1, 5, 15, 16, 17, 33, 768, 1601};
        int[] rowCounts = {1, 7, 8, 9, 2 * NativeGemv.MIN_DOT_ROWS - 1, 2 * NativeGemv.MIN_DOT_ROWS + 13, 5003};
        for (int k : ks) {
            for (int rows : rowCounts) {
                float[] wFloats = VectorLmHeadTest.randomFloats(random, rows * k);
                int xOff = random.nextInt(5);
                float[] x = VectorLmHeadTest.randomFloats(random, xOff + k + 1);
                float[] y = new float[rows + 2];
                try (FloatPointer w = new FloatPointer(wFloats); FloatPointer out = new FloatPointer(y)) {
                    out.put(rows, 12345f).put(rows + 1, -1f);                 // guards after the output
                    NativeGemv.dots(x, xOff, k, w.address(), rows, out.address());
                    out.get(y);
                }
                for (int v = 0; v < rows; v++) {
                    double sum = 0;
                    double squares = 0;
                    for (int j = 0; j < k; j++) {
                        double term = (double) wFloats[v * k + j] * x[xOff + j];
                        sum += term;
                        squares += term * term;
                    }
                    if (!(Math.abs(y[v] - sum) <= TOLERANCE * Math.sqrt(squares) + 1e-30)) {
                        fail("k=" + k + " rows=" + rows + ": [" + v + "] got " + y[v] + ", want " + sum);
                    }
                }
                assertEquals(12345f, y[rows], "wrote past the output");
                assertEquals(-1f, y[rows + 1], "wrote past the output");
            }
        }
    }

    @Test
    void rejectsWrongSizes() {
        assumeTrue(NativeGemv.isAvailable(), "no native kernel here");
        try (FloatPointer w = new FloatPointer(16)) {
            long address = w.address();
            float[] x = new float[4];
            assertMessage("x holds 4 floats, needs 5 from 0",
                    () -> NativeGemv.linear(x, 0, 1, 5, address, 3, null, false, new float[3], 0));
            assertMessage("x holds 4 floats, needs 4 from 1",
                    () -> NativeGemv.linear(x, 1, 1, 4, address, 3, null, false, new float[3], 0));
            assertMessage("y holds 3 floats, needs 3 from 1",
                    () -> NativeGemv.linear(x, 0, 1, 4, address, 3, null, false, new float[3], 1));
            assertMessage("bias holds 2 floats, needs 3",
                    () -> NativeGemv.linear(x, 0, 1, 4, address, 3, new float[2], false, new float[3], 0));
            assertMessage("needs k, n ≥ 1 and a weight address: k=0, n=3",
                    () -> NativeGemv.linear(x, 0, 1, 0, address, 3, null, false, new float[3], 0));
            assertMessage("needs k, n ≥ 1 and a weight address: k=4, n=3",
                    () -> NativeGemv.linear(x, 0, 1, 4, 0L, 3, null, false, new float[3], 0));
            assertThrows(IllegalArgumentException.class,
                    () -> NativeGemv.linear(x, -1, 1, 4, address, 3, null, false, new float[3], 0));
            assertMessage("x holds 4 floats, needs 8 from 0",
                    () -> NativeGemv.linear(x, 0, 2, 4, address, 3, null, false, new float[6], 0));
            assertMessage("rows must be 1 to " + NativeGemv.MAX_ROWS + ": 0",
                    () -> NativeGemv.linear(x, 0, 0, 4, address, 3, null, false, new float[3], 0));
            assertMessage("rows must be 1 to " + NativeGemv.MAX_ROWS + ": " + (NativeGemv.MAX_ROWS + 1),
                    () -> NativeGemv.linear(new float[100], 0, NativeGemv.MAX_ROWS + 1, 4, address, 3, null, false,
                            new float[100], 0));
            assertMessage("x holds 4 floats, needs 4 from 1",
                    () -> NativeGemv.dots(x, 1, 4, address, 4, address));
            assertMessage("needs k, rows ≥ 1 and both addresses: k=4, rows=4",
                    () -> NativeGemv.dots(x, 0, 4, address, 4, 0L));
        }
    }

    /** Runs {@link NativeGemv#linear} at offsets into larger arrays; compares every output and the floats around it. */
    private static void check(Random random, int rows, int k, int n, boolean withBias, boolean accumulate) {
        float[] wFloats = VectorLmHeadTest.randomFloats(random, k * n);
        int xOff = random.nextInt(5);
        int yOff = random.nextInt(5);
        float[] x = VectorLmHeadTest.randomFloats(random, xOff + rows * k + 2);
        float[] bias = withBias ? VectorLmHeadTest.randomFloats(random, n) : null;
        float[] y = VectorLmHeadTest.randomFloats(random, yOff + rows * n + 3);
        float[] before = y.clone();
        try (FloatPointer w = new FloatPointer(wFloats)) {
            NativeGemv.linear(x, xOff, rows, k, w.address(), n, bias, accumulate, y, yOff);
        }
        String what = "rows=" + rows + " k=" + k + " n=" + n + " bias=" + withBias + " accumulate=" + accumulate;
        ProductReference.assertLinear(what, x, xOff, rows, k, wFloats, n, bias, accumulate, before, y, yOff);
    }
}
