package dev.nexttoken.core.model;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static dev.nexttoken.core.model.ProductReference.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link VectorGemm} against the reference loop in double ({@link ProductReference}): every combination of rows (row
 * groups of 8, 4, 2, 1 and their remainders), {@code k} (one, odd, under and over one {@code KC}
 * block) and {@code n} (under, at and over one strip, several panels, a partial last strip), with
 * and without bias and accumulation, at nonzero offsets. Skipped when the JVM runs without {@code --add-modules jdk.incubator.vector}.
 */
class VectorGemmTest {

    private static final int[] KS = {1, 5, 64, 768, 1000};
    private static final int[] NS = {1, 15, 16, 17, 33, 768, 2304, 3001};

    @BeforeEach
    void needsVectorApi() {
        assumeTrue(VectorMatmulSupport.isAvailable(), "the JVM runs without " + VectorMatmulSupport.MODULE);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 8, 9, 16, 17, 64, 130})
    void matchesReferenceOnAllShapes(int rows) {
        Random random = new Random(rows);
        for (int k : KS) {
            for (int n : NS) {
                if ((long) rows * k * n > 60_000_000L) {
                    // the big corner (130 x 1000 x 3001) only in one variant: the reference loop is slow
                    check(random, rows, k, n, true, true, true);
                    continue;
                }
                for (int variant = 0; variant < 4; variant++) {
                    boolean bias = (variant & 1) != 0;
                    boolean accumulate = (variant & 2) != 0;
                    check(random, rows, k, n, bias, accumulate, variant == 3 || (k + n) % 2 == 0);
                }
            }
        }
    }

    @Test
    void decodeBatchesSplitByRowsOfWAroundTheLimits() {
        // Up to INNER_SPLIT_MAX_ROWS rows, W's rows are split over the cores: k too short to split
        // (< 2 * MIN_INNER_KC), just long enough, odd; n of whole strips (one contiguous copy per
        // panel), with a partial strip, and the widest n that still splits (and one past it, which
        // splits by columns); each part's panels of whole rows, several of them.
        Random random = new Random(11);
        int nr = VectorGemm.NR;
        int widest = VectorGemm.KC * VectorGemm.NC / VectorGemm.MIN_INNER_KC / nr * nr;
        int[] ks = {2 * VectorGemm.MIN_INNER_KC - 1, 2 * VectorGemm.MIN_INNER_KC, 2 * VectorGemm.MIN_INNER_KC + 3, 777};
        int[] ns = {nr, 7 * nr + 5, 1600, widest, widest + 1};
        for (int rows : new int[] {1, 8, VectorGemm.INNER_SPLIT_MAX_ROWS, VectorGemm.INNER_SPLIT_MAX_ROWS + 1}) {
            for (int k : ks) {
                for (int n : ns) {
                    check(random, rows, k, n, random.nextBoolean(), random.nextBoolean(), random.nextBoolean());
                }
            }
        }
    }

    @Test
    void columnsAroundStripAndPanelEdges() {
        // n and k around the strip width, the panel width and the KC block, with the edge tile
        // in a second panel
        Random random = new Random(7);
        int nr = VectorGemm.NR;
        int[] ns = {nr - 1, nr, nr + 1, VectorGemm.NC - 1, VectorGemm.NC, VectorGemm.NC + nr + 5, 2 * VectorGemm.NC + 1};
        int[] ks = {VectorGemm.KC - 1, VectorGemm.KC, VectorGemm.KC + 1, 2 * VectorGemm.KC + 3};
        for (int n : ns) {
            for (int k : ks) {
                check(random, 11, k, n, random.nextBoolean(), random.nextBoolean(), random.nextBoolean());
            }
        }
    }

    @Test
    void leavesTheCallersBufferAlone() {
        Random random = new Random(12);
        ByteBuffer w = VectorLmHeadTest.floats(VectorLmHeadTest.randomFloats(random, 20 * 40), true);
        w.position(8).limit(100);
        VectorGemm.linear(VectorLmHeadTest.randomFloats(random, 3 * 20), 0, 3, 20, w, 40, null, false, new float[3 * 40], 0);
        assertEquals(8, w.position());
        assertEquals(100, w.limit());
        assertEquals(ByteOrder.BIG_ENDIAN, w.order());
    }

    @Test
    void rejectsWrongSizes() {
        float[] x = new float[8];
        ByteBuffer w = ByteBuffer.allocateDirect(4 * 4 * 4);
        assertMessage("weights buffer has 64 bytes, needs 80",
                () -> VectorGemm.linear(x, 0, 2, 4, w, 5, null, false, new float[10], 0));
        assertMessage("x has 8 floats, needs 12",
                () -> VectorGemm.linear(x, 0, 3, 4, w, 4, null, false, new float[12], 0));
        assertMessage("x has 8 floats, needs 9",
                () -> VectorGemm.linear(x, 1, 2, 4, w, 4, null, false, new float[8], 0));
        assertMessage("y has 7 floats, needs 8",
                () -> VectorGemm.linear(x, 0, 2, 4, w, 4, null, false, new float[7], 0));
        assertMessage("y has 8 floats, needs 9",
                () -> VectorGemm.linear(x, 0, 2, 4, w, 4, null, false, new float[8], 1));
        assertMessage("bias has 3 floats, needs 4",
                () -> VectorGemm.linear(x, 0, 2, 4, w, 4, new float[3], false, new float[8], 0));
        assertMessage("empty product: rows=0 k=4 n=4",
                () -> VectorGemm.linear(x, 0, 0, 4, w, 4, null, false, new float[8], 0));
        assertMessage("empty product: rows=2 k=0 n=4",
                () -> VectorGemm.linear(x, 0, 2, 0, w, 4, null, false, new float[8], 0));
        assertMessage("weights over 2 GB: 65536 x 65536",
                () -> VectorGemm.linear(x, 0, 1, 65536, w, 65536, null, false, new float[8], 0));
        assertThrows(IllegalArgumentException.class,
                () -> VectorGemm.linear(x, -1, 2, 4, w, 4, null, false, new float[8], 0));
    }

    /**
     * Runs {@link VectorGemm#linear} with offsets into larger arrays and compares every output, and
     * that nothing before or after the output was written.
     */
    private static void check(Random random, int rows, int k, int n, boolean withBias, boolean accumulate,
                              boolean direct) {
        float[] wFloats = VectorLmHeadTest.randomFloats(random, k * n);
        ByteBuffer w = VectorLmHeadTest.floats(wFloats, direct);
        int xOff = 1 + random.nextInt(5);
        int yOff = 1 + random.nextInt(5);
        float[] x = VectorLmHeadTest.randomFloats(random, xOff + rows * k + 2);
        float[] bias = withBias ? VectorLmHeadTest.randomFloats(random, n) : null;
        float[] y = VectorLmHeadTest.randomFloats(random, yOff + rows * n + 3);
        float[] before = y.clone();
        VectorGemm.linear(x, xOff, rows, k, w, n, bias, accumulate, y, yOff);
        String what = "rows=" + rows + " k=" + k + " n=" + n + " bias=" + withBias + " accumulate=" + accumulate
                + " direct=" + direct;
        ProductReference.assertLinear(what, x, xOff, rows, k, wFloats, n, bias, accumulate, before, y, yOff);
    }
}
