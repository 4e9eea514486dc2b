package dev.nexttoken.core.model;

import dev.nexttoken.core.model.NativeKernels.Isa;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static dev.nexttoken.core.model.ProductReference.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NativeKernels} against a plain reference loop in double on the values each format reads
 * ({@link EncodedWeights#decoded}, computed in Java): every {@link WeightFormat} × every instruction
 * set this CPU has ({@link #isas()}: asserted to run, never skipped where {@code /proc/cpuinfo}
 * lists it) × 1 to 16 rows × shapes around the vectors (8 or 16 floats: tails), the 8-row passes,
 * the Q8 blocks (32) and the split over the cores, plus GPT-2 small's 768 × 2304; the lm_head's
 * dots likewise; widen exactly; and that the library is in the jar and loads on Linux x86-64.
 *
 * <p>Tolerance as in {@link ProductReference}: {@code |got - want| ≤ 1e-5 · sqrt(Σ term²)} per
 * output, stricter than relative to {@code Σ|x·w|}; float32 sums in another order stay far inside
 * it, a wrong or missing term (or a wrongly decoded weight) does not. The integer Q8 kernels
 * ({@code avx512-vnni}) are held to it on {@code x} rounded as they document
 * ({@link ProductReference#q8Rows}), so a wrongly rounded block fails too.
 */
class NativeKernelsTest {

    private static final int[] SIZES = {1, 7, 16, 31, 33, 100, 257};
    private static final double TOLERANCE = ProductReference.TOLERANCE;

    /**
     * The instruction sets {@code /proc/cpuinfo} says this CPU has, each asserted to be run by the
     * library: the tests below run every one of them, so none can pass by skipping its kernels.
     * Empty (and the tests skip) only off Linux x86-64 or with {@code -Dnexttoken.native=false}.
     */
    static List<Isa> isas() {
        assumeTrue(linuxX86(), "the native kernels are built for Linux x86-64 only");
        assumeTrue(!"false".equalsIgnoreCase(System.getProperty(NativeKernels.PROPERTY, "true").trim()),
                "turned off with -D" + NativeKernels.PROPERTY + "=false");
        String flags = cpuFlags();
        List<Isa> isas = new ArrayList<>();
        if (flags.contains(" avx2 ") && flags.contains(" fma ") && flags.contains(" f16c ")) {
            isas.add(Isa.AVX2);
        }
        if (!isas.isEmpty() && flags.contains(" avx512f ")) {
            isas.add(Isa.AVX512);
            if (hasVnni(flags)) {
                isas.add(Isa.AVX512_VNNI);
            }
        }
        for (Isa isa : isas) {
            assertTrue(NativeKernels.supports(isa), "this CPU has " + isa.label + " but the library does not run it");
        }
        assumeTrue(!isas.isEmpty(), "this CPU has neither AVX2 (with FMA, F16C) nor AVX-512");
        return isas;
    }

    @Test
    void isInTheJarAndAvailableOnLinuxX86() {
        assumeTrue(linuxX86(), "the library is built for Linux x86-64 only");
        assertNotNull(NativeKernels.class.getResource(NativeKernels.RESOURCE),
                NativeKernels.RESOURCE + " is not among the resources");
        assumeTrue(!"false".equalsIgnoreCase(System.getProperty(NativeKernels.PROPERTY, "true").trim()),
                "turned off with -D" + NativeKernels.PROPERTY + "=false");
        String flags = cpuFlags();
        boolean avx2 = flags.contains(" avx2 ") && flags.contains(" fma ") && flags.contains(" f16c ");
        boolean avx512 = avx2 && flags.contains(" avx512f ");
        boolean vnni = avx512 && hasVnni(flags);
        assertEquals(avx2, NativeKernels.isAvailable(), "available exactly when the CPU has AVX2, FMA and F16C");
        String asked = System.getProperty(NativeKernels.VARIANT_PROPERTY, "");
        String widest = !avx2 ? "none" : vnni ? "avx512-vnni" : avx512 ? "avx512" : "avx2";
        String want = List.of("avx2", "avx512").contains(asked) && avx2 && (avx512 || asked.equals("avx2")) ? asked : widest;
        assertEquals(want, NativeKernels.variant(), "the widest variant this CPU runs");
        assertEquals(avx2, NativeKernels.supports(Isa.AVX2));
        assertEquals(avx512, NativeKernels.supports(Isa.AVX512));
        assertEquals(vnni, NativeKernels.supports(Isa.AVX512_VNNI));
    }

    @Test
    void linearMatchesReferenceForEveryFormatIsaRowCountAndTail() {
        for (Isa isa : isas()) {
            for (WeightFormat format : WeightFormat.values()) {
                Random random = new Random(31 * format.ordinal() + isa.code);
                for (int k : SIZES) {
                    for (int n : SIZES) {
                        try (EncodedWeights w = EncodedWeights.random(format, random, k, n)) {
                            for (int rows = 1; rows <= NativeKernels.MAX_ROWS; rows++) {
                                checkLinear(isa, w, random, rows, random.nextBoolean(), random.nextBoolean());
                            }
                        }
                    }
                }
                try (EncodedWeights w = EncodedWeights.random(format, random, 768, 2304)) {        // GPT-2's c_attn
                    for (int rows : new int[] {1, 8, NativeKernels.MAX_ROWS}) {
                        checkLinear(isa, w, random, rows, true, rows == 8);
                    }
                }
            }
        }
    }

    /**
     * A prompt's product: rows around the register tiles (6 with AVX2, 12 with AVX-512), {@code k}
     * around the 256-row panels, {@code n} around the 16- and 32-column panels and their split
     * over the cores; GPT-2 small's 768 × 2304 at a prompt's 64 rows.
     */
    @Test
    void gemmMatchesReferenceForEveryFormatIsaRowCountAndTail() {
        int[] rowCounts = {1, 5, 6, 7, 12, 13, 25, 40};
        int[] ks = {1, 31, 256, 300};
        int[] ns = {1, 15, 16, 33, 100, 129};
        for (Isa isa : isas()) {
            for (WeightFormat format : WeightFormat.values()) {
                Random random = new Random(41 * format.ordinal() + isa.code);
                for (int k : ks) {
                    for (int n : ns) {
                        try (EncodedWeights w = EncodedWeights.random(format, random, k, n)) {
                            for (int rows : rowCounts) {
                                checkGemm(isa, w, random, rows, random.nextBoolean(), random.nextBoolean());
                            }
                        }
                    }
                }
                try (EncodedWeights w = EncodedWeights.random(format, random, 768, 2304)) {        // GPT-2's c_attn
                    checkGemm(isa, w, random, 64, true, false);
                }
                try (EncodedWeights w = EncodedWeights.random(format, random, 40, 70)) {           // chunks of rows
                    checkGemm(isa, w, random, NativeKernels.GEMM_ROWS + 13, true, true);
                }
            }
        }
    }

    /** Attention's products of two arrays: {@code W}'s rows {@code ldw} apart, offsets on every array, the chosen variant. */
    @Test
    void multiplyMatchesReference() {
        assumeTrue(!isas().isEmpty());
        Random random = new Random(43);
        for (int rows : new int[] {1, 13, 64}) {
            for (int k : new int[] {1, 64, 100}) {
                for (int n : new int[] {1, 17, 300}) {
                    int ldw = n + random.nextInt(9);
                    int xOff = random.nextInt(5);
                    int wOff = random.nextInt(5);
                    int yOff = random.nextInt(5);
                    float[] x = VectorLmHeadTest.randomFloats(random, xOff + rows * k + 2);
                    float[] w = VectorLmHeadTest.randomFloats(random, wOff + (k - 1) * ldw + n + 3);
                    float[] y = VectorLmHeadTest.randomFloats(random, yOff + rows * n + 3);
                    float[] before = y.clone();
                    float[] dense = new float[k * n];                            // W without the stride
                    for (int i = 0; i < k; i++) {
                        System.arraycopy(w, wOff + i * ldw, dense, i * n, n);
                    }
                    NativeKernels.multiply(x, xOff, rows, k, w, wOff, ldw, n, y, yOff);
                    ProductReference.assertLinear("multiply rows=" + rows + " k=" + k + " n=" + n + " ldw=" + ldw,
                            x, xOff, rows, k, dense, n, null, false, before, y, yOff);
                }
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> NativeKernels.multiply(new float[4], 0, 2, 2, new float[3], 0, 2, 2, new float[4], 0));
    }

    @Test
    void dotsMatchReferenceForEveryFormatIsaRowCountAndTail() {
        int[] vocabs = {1, 7, 16, 31, 33, 100, 2 * NativeKernels.MIN_DOT_ROWS + 13};
        for (Isa isa : isas()) {
            for (WeightFormat format : WeightFormat.values()) {
                Random random = new Random(37 * format.ordinal() + isa.code);
                for (int k : SIZES) {
                    for (int vocab : vocabs) {
                        try (EncodedWeights w = EncodedWeights.random(format, random, vocab, k)) {
                            for (int rows = 1; rows <= NativeKernels.MAX_ROWS; rows++) {
                                checkDots(isa, w, random, rows);
                            }
                        }
                    }
                }
                try (EncodedWeights w = EncodedWeights.random(format, random, 2304, 768)) {
                    for (int rows : new int[] {1, 5, NativeKernels.MAX_ROWS}) {
                        checkDots(isa, w, random, rows);
                    }
                }
            }
        }
    }

    @Test
    void widenIsExactForEveryFormatAndIsa() {
        for (Isa isa : isas()) {
            for (WeightFormat format : WeightFormat.values()) {
                Random random = new Random(41 * format.ordinal() + isa.code);
                for (int cols : new int[] {1, 7, 16, 31, 33, 100, 257, 768}) {
                    int rows = 70;
                    try (EncodedWeights w = EncodedWeights.random(format, random, rows, cols)) {
                        int r0 = random.nextInt(5);
                        int r1 = rows - random.nextInt(5);
                        float[] want = Arrays.copyOfRange(w.decoded, r0 * cols, r1 * cols);
                        float[] got = new float[3 + (r1 - r0) * cols + 2];
                        Arrays.fill(got, 12345f);
                        NativeKernels.widen(isa, format, w.address(), w.scales(), cols, r0, r1, got, 3);
                        String what = isa.label + " " + format + " cols=" + cols + " rows [" + r0 + ", " + r1 + ")";
                        assertArrayEquals(want, Arrays.copyOfRange(got, 3, 3 + want.length), what);
                        assertEquals(12345f, got[2], what + ": wrote before the output");
                        assertEquals(12345f, got[got.length - 2], what + ": wrote past the output");
                        try (FloatPointer out = new FloatPointer(want.length + 1L)) {
                            out.put(want.length, -7f);
                            NativeKernels.widen(isa, format, w.address(), w.scales(), cols, r0, r1, out.address());
                            float[] native_ = new float[want.length + 1];
                            out.get(native_);
                            assertArrayEquals(want, Arrays.copyOf(native_, want.length), what + " (to native memory)");
                            assertEquals(-7f, native_[want.length], what + ": wrote past the native output");
                        }
                    }
                }
            }
        }
    }

    /** A matrix large enough to be split over the cores, widened into native memory. */
    @Test
    void widenSpreadOverTheCoresIsExact() {
        for (Isa isa : isas()) {
            Random random = new Random(43 + isa.code);
            int rows = 1000;
            int cols = 300;
            try (EncodedWeights w = EncodedWeights.random(WeightFormat.Q8, random, rows, cols);
                 FloatPointer out = new FloatPointer((long) rows * cols)) {
                NativeKernels.widen(isa, WeightFormat.Q8, w.address(), w.scales(), cols, 0, rows, out.address());
                float[] got = new float[rows * cols];
                out.get(got);
                assertArrayEquals(w.decoded, got, isa.label);
            }
        }
    }

    /**
     * A NaN or an infinity in a row of x makes every output of that row non-finite, as in
     * float32, and leaves the other rows finite: on every format and instruction set, decode
     * steps and prompts (the integer Q8 kernels round x per block, which must not hide it).
     */
    @Test
    void aNonFiniteValueInARowOfXIsNotHidden() {
        for (Isa isa : isas()) {
            for (WeightFormat format : WeightFormat.values()) {
                Random random = new Random(61 * format.ordinal() + isa.code);
                int k = 100;
                int n = 70;
                try (EncodedWeights w = EncodedWeights.random(format, random, k, n)) {
                    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
                        for (boolean gemm : new boolean[] {false, true}) {
                            int rows = 3;
                            float[] x = VectorLmHeadTest.randomFloats(random, rows * k);
                            x[k + 37] = bad;                                            // row 1
                            float[] y = new float[rows * n];
                            if (gemm) {
                                NativeKernels.gemm(isa, format, w.address(), w.scales(), x, 0, rows, k, n, null, false, y, 0);
                            } else {
                                NativeKernels.linear(isa, format, w.address(), w.scales(), x, 0, rows, k, n, null, false, y, 0);
                            }
                            String what = isa.label + " " + format + (gemm ? " gemm " : " linear ") + bad;
                            for (int j = 0; j < n; j++) {
                                assertTrue(Float.isFinite(y[j]) && Float.isFinite(y[2 * n + j]), what + ": other rows");
                                assertFalse(Float.isFinite(y[n + j]), what + ": column " + j + " is " + y[n + j]);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * A product on F16, BF16 or Q8 weights gives the bits of the F32 product on their widened
     * values (the kernels decode exactly, then do the F32 arithmetic), on each instruction set;
     * but for the integer Q8 kernels, which round x (the tests above hold them to that).
     */
    @Test
    void everyFormatGivesTheF32BitsOfItsWidenedWeights() {
        for (Isa isa : isas()) {
            Random random = new Random(47 + isa.code);
            int k = 257;
            int n = 100;
            for (WeightFormat format : WeightFormat.values()) {
                if (ProductReference.roundsRowsForQ8(isa, format)) {
                    continue;
                }
                try (EncodedWeights w = EncodedWeights.random(format, random, k, n);
                     EncodedWeights f32 = new EncodedWeights(WeightFormat.F32, w.decoded, k, n)) {
                    int rows = 5;
                    float[] x = VectorLmHeadTest.randomFloats(random, rows * k);
                    float[] want = new float[rows * n];
                    float[] got = new float[rows * n];
                    NativeKernels.linear(isa, WeightFormat.F32, f32.address(), 0, x, 0, rows, k, n, null, false, want, 0);
                    NativeKernels.linear(isa, format, w.address(), w.scales(), x, 0, rows, k, n, null, false, got, 0);
                    assertArrayEquals(want, got, isa.label + " linear " + format);
                }
            }
        }
    }

    /**
     * The variants are different code: AVX2 and AVX-512 sum a long dot product in different
     * orders (8 against 16 lanes), and AVX-512 VNNI's Q8 product rounds x, so their bits differ
     * somewhere, each within its tolerance. A call that ran another variant than the one asked
     * for would fail here.
     */
    @Test
    void eachIsaRunsItsOwnKernels() {
        List<Isa> isas = isas();
        if (isas.contains(Isa.AVX512_VNNI)) {
            Random random = new Random(59);
            try (EncodedWeights w = EncodedWeights.random(WeightFormat.Q8, random, 256, 64)) {
                float[] x = VectorLmHeadTest.randomFloats(random, 256);
                float[] plain = new float[64];
                float[] vnni = new float[64];
                NativeKernels.linear(Isa.AVX512, WeightFormat.Q8, w.address(), w.scales(), x, 0, 1, 256, 64, null,
                        false, plain, 0);
                NativeKernels.linear(Isa.AVX512_VNNI, WeightFormat.Q8, w.address(), w.scales(), x, 0, 1, 256, 64,
                        null, false, vnni, 0);
                assertFalse(Arrays.equals(plain, vnni), "AVX-512 and AVX-512 VNNI gave the same bits for Q8");
            }
        }
        assumeTrue(isas.contains(Isa.AVX2) && isas.contains(Isa.AVX512), "this CPU has one variant only");
        Random random = new Random(53);
        int k = 768;
        int vocab = 600;
        try (EncodedWeights w = EncodedWeights.random(WeightFormat.F32, random, vocab, k);
             FloatPointer avx2 = new FloatPointer(vocab);
             FloatPointer avx512 = new FloatPointer(vocab)) {
            float[] x = VectorLmHeadTest.randomFloats(random, k);
            NativeKernels.dots(Isa.AVX2, WeightFormat.F32, w.address(), 0, x, 0, 1, k, vocab, new long[] {avx2.address()});
            NativeKernels.dots(Isa.AVX512, WeightFormat.F32, w.address(), 0, x, 0, 1, k, vocab,
                    new long[] {avx512.address()});
            float[] a = new float[vocab];
            float[] b = new float[vocab];
            avx2.get(a);
            avx512.get(b);
            assertFalse(Arrays.equals(a, b), "AVX2 and AVX-512 gave the same bits for every dot product");
        }
    }

    /** The check every call makes before it enters native code, for a CPU without AVX-512 and for no library. */
    @Test
    void aVariantTheCpuLacksIsRefusedBeforeNativeCode() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NativeKernels.check(Isa.AVX512, Isa.AVX2.code));
        assertEquals("this CPU does not run the avx512 kernels", e.getMessage());
        NativeKernels.check(Isa.AVX2, Isa.AVX2.code);
        NativeKernels.check(Isa.AVX512, Isa.AVX2.code | Isa.AVX512.code);
        e = assertThrows(IllegalStateException.class, () -> NativeKernels.check(Isa.AVX2, 0));
        assertEquals("the native kernels are not available", e.getMessage());
    }

    @Test
    void aVariantTheCpuLacksIsRefused() {
        for (Isa isa : Isa.values()) {
            if (!NativeKernels.supports(isa)) {
                try (EncodedWeights w = EncodedWeights.random(WeightFormat.F32, new Random(1), 4, 3)) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> NativeKernels.linear(isa,
                            WeightFormat.F32, w.address(), 0, new float[4], 0, 1, 4, 3, null, false, new float[3], 0));
                    assertTrue(e.getMessage().contains("not"), e.getMessage());
                }
            }
        }
    }

    @Test
    void rejectsWrongSizes() {
        assumeTrue(NativeKernels.isAvailable(), "no native kernels here");
        WeightFormat f32 = WeightFormat.F32;
        try (FloatPointer w = new FloatPointer(16)) {
            long address = w.address();
            float[] x = new float[4];
            assertMessage("x holds 4 floats, needs 5 from 0",
                    () -> NativeKernels.linear(f32, address, 0, x, 0, 1, 5, 3, null, false, new float[3], 0));
            assertMessage("x holds 4 floats, needs 4 from 1",
                    () -> NativeKernels.linear(f32, address, 0, x, 1, 1, 4, 3, null, false, new float[3], 0));
            assertMessage("y holds 3 floats, needs 3 from 1",
                    () -> NativeKernels.linear(f32, address, 0, x, 0, 1, 4, 3, null, false, new float[3], 1));
            assertMessage("bias holds 2 floats, needs 3",
                    () -> NativeKernels.linear(f32, address, 0, x, 0, 1, 4, 3, new float[2], false, new float[3], 0));
            assertMessage("needs k, n ≥ 1 and a weight address: k=0, n=3",
                    () -> NativeKernels.linear(f32, address, 0, x, 0, 1, 0, 3, null, false, new float[3], 0));
            assertMessage("needs k, n ≥ 1 and a weight address: k=4, n=3",
                    () -> NativeKernels.linear(f32, 0L, 0, x, 0, 1, 4, 3, null, false, new float[3], 0));
            assertThrows(IllegalArgumentException.class,
                    () -> NativeKernels.linear(f32, address, 0, x, -1, 1, 4, 3, null, false, new float[3], 0));
            assertMessage("x holds 4 floats, needs 8 from 0",
                    () -> NativeKernels.linear(f32, address, 0, x, 0, 2, 4, 3, null, false, new float[6], 0));
            assertMessage("rows must be 1 to " + NativeKernels.MAX_ROWS + ": 0",
                    () -> NativeKernels.linear(f32, address, 0, x, 0, 0, 4, 3, null, false, new float[3], 0));
            assertMessage("rows must be 1 to " + NativeKernels.MAX_ROWS + ": " + (NativeKernels.MAX_ROWS + 1),
                    () -> NativeKernels.linear(f32, address, 0, new float[100], 0, NativeKernels.MAX_ROWS + 1, 4, 3,
                            null, false, new float[100], 0));
            assertMessage("Q8 needs the address of its scales",
                    () -> NativeKernels.linear(WeightFormat.Q8, address, 0, x, 0, 1, 4, 3, null, false,
                            new float[3], 0));
            assertMessage("F16 has no scales: scales must be 0",
                    () -> NativeKernels.linear(WeightFormat.F16, address, address, x, 0, 1, 4, 3, null, false,
                            new float[3], 0));
            assertMessage("x holds 4 floats, needs 4 from 1",
                    () -> NativeKernels.dots(f32, address, 0, x, 1, 1, 4, 4, new long[] {address}));
            assertMessage("row 0 has no output address",
                    () -> NativeKernels.dots(f32, address, 0, x, 0, 1, 4, 4, new long[] {0L}));
            assertMessage("rows must be 1 to " + NativeKernels.MAX_ROWS + ": 17",
                    () -> NativeKernels.dots(f32, address, 0, new float[100], 0, 17, 4, 4, new long[17]));
            assertMessage("needs k, vocab ≥ 1, a weight address and an output per row: k=4, vocab=4, rows=2, outputs=1",
                    () -> NativeKernels.dots(f32, address, 0, new float[8], 0, 2, 4, 4, new long[] {address}));
            assertMessage("out holds 5 floats, needs 6 from 0",
                    () -> NativeKernels.widen(f32, address, 0, 3, 0, 2, new float[5], 0));
            assertMessage("needs cols ≥ 1, a weight address and 0 ≤ r0 ≤ r1: cols=3, r0=2, r1=1",
                    () -> NativeKernels.widen(f32, address, 0, 3, 2, 1, new float[5], 0));
            assertMessage("needs an output address",
                    () -> NativeKernels.widen(f32, address, 0, 3, 0, 1, 0L));
        }
    }

    /** One {@link NativeKernels#linear} call at offsets into larger arrays against the reference; the floats around the output untouched. */
    private static void checkLinear(Isa isa, EncodedWeights w, Random random, int rows, boolean withBias,
                                    boolean accumulate) {
        checkProduct(isa, w, random, rows, withBias, accumulate, false);
    }

    /** The same for one {@link NativeKernels#gemm} call. */
    private static void checkGemm(Isa isa, EncodedWeights w, Random random, int rows, boolean withBias,
                                  boolean accumulate) {
        checkProduct(isa, w, random, rows, withBias, accumulate, true);
    }

    private static void checkProduct(Isa isa, EncodedWeights w, Random random, int rows, boolean withBias,
                                     boolean accumulate, boolean gemm) {
        int k = w.rows;
        int n = w.cols;
        int xOff = random.nextInt(5);
        int yOff = random.nextInt(5);
        float[] x = VectorLmHeadTest.randomFloats(random, xOff + rows * k + 2);
        float[] bias = withBias ? VectorLmHeadTest.randomFloats(random, n) : null;
        float[] y = VectorLmHeadTest.randomFloats(random, yOff + rows * n + 3);
        float[] before = y.clone();
        if (gemm) {
            NativeKernels.gemm(isa, w.format, w.address(), w.scales(), x, xOff, rows, k, n, bias, accumulate, y, yOff);
        } else {
            NativeKernels.linear(isa, w.format, w.address(), w.scales(), x, xOff, rows, k, n, bias, accumulate, y, yOff);
        }
        String what = isa.label + (gemm ? " gemm " : " ") + w.format + " rows=" + rows + " k=" + k + " n=" + n
                + " bias=" + withBias + " accumulate=" + accumulate;
        float[] read = ProductReference.roundsRowsForQ8(isa, w.format) ? ProductReference.q8Rows(x, xOff, rows, k) : x;
        ProductReference.assertLinear(what, read, xOff, rows, k, w.decoded, n, bias, accumulate, before, y, yOff);
    }

    /** One {@link NativeKernels#dots} call of {@code rows} rows against the reference; guards after each row's output. */
    private static void checkDots(Isa isa, EncodedWeights w, Random random, int rows) {
        int vocab = w.rows;
        int k = w.cols;
        int xOff = random.nextInt(5);
        float[] x = VectorLmHeadTest.randomFloats(random, xOff + rows * k + 1);
        int stride = vocab + 2;
        try (FloatPointer out = new FloatPointer((long) rows * stride)) {
            long[] outputs = new long[rows];
            for (int r = 0; r < rows; r++) {
                outputs[r] = out.address() + (long) r * stride * Float.BYTES;
                out.put((long) r * stride + vocab, 12345f).put((long) r * stride + vocab + 1, -1f);
            }
            NativeKernels.dots(isa, w.format, w.address(), w.scales(), x, xOff, rows, k, vocab, outputs);
            float[] y = new float[rows * stride];
            out.get(y);
            String what = isa.label + " " + w.format + " rows=" + rows + " k=" + k + " vocab=" + vocab;
            for (int r = 0; r < rows; r++) {
                for (int v = 0; v < vocab; v++) {
                    double sum = 0;
                    double squares = 0;
                    for (int j = 0; j < k; j++) {
                        double term = (double) w.decoded[v * k + j] * x[xOff + r * k + j];
                        sum += term;
                        squares += term * term;
                    }
                    float got = y[r * stride + v];
                    if (!(Math.abs(got - sum) <= TOLERANCE * Math.sqrt(squares) + 1e-30)) {
                        fail(what + ": row " + r + " [" + v + "] got " + got + ", want " + sum);
                    }
                }
                assertEquals(12345f, y[r * stride + vocab], what + ": wrote past row " + r + "'s output");
                assertEquals(-1f, y[r * stride + vocab + 1], what + ": wrote past row " + r + "'s output");
            }
        }
    }

    static boolean linuxX86() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /** AVX-512 BW, VL and VNNI, which the integer Q8 kernels need besides AVX-512F. */
    private static boolean hasVnni(String flags) {
        return flags.contains(" avx512bw ") && flags.contains(" avx512vl ") && flags.contains(" avx512_vnni ");
    }

    /** The first "flags" line of /proc/cpuinfo, with a space at each end. */
    private static String cpuFlags() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(line -> line.startsWith("flags"))
                    .findFirst()
                    .map(line -> " " + line.substring(line.indexOf(':') + 1).trim() + " ")
                    .orElse(" ");
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/cpuinfo", e);
        }
    }
}
