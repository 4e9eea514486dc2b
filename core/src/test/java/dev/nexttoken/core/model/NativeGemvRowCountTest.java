package dev.nexttoken.core.model;

import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NativeGemv}'s results for a row do not depend on how many rows share the call: a row of
 * {@link NativeGemv#linear} with 2 to 16 rows, and of the lm_head's {@code dots} with several rows,
 * gives the same bits as that row alone. This is what lets sequences decoded together
 * ({@link Gpt2Model#forwardTogether}) get exactly what each gets alone. Shapes around the
 * kernels' 8-row passes, 16-float vectors (masked tails), 4-row blocks and the split over the cores.
 */
class NativeGemvRowCountTest {

    @Test
    void linearGivesEachRowTheBitsItGetsAlone() {
        assumeTrue(NativeGemv.isAvailable(), "no native kernel here");
        Random random = new Random(21);
        int[][] shapes = {{1, 1}, {7, 17}, {8, 16}, {9, 33}, {2 * RowSplit.MIN_PART_ROWS + 7, 31}, {768, 2304},
                {3072, 768}, {768, 3072}};
        for (int[] shape : shapes) {
            int k = shape[0];
            int n = shape[1];
            float[] wFloats = VectorLmHeadTest.randomFloats(random, k * n);
            float[] bias = VectorLmHeadTest.randomFloats(random, n);
            try (FloatPointer w = new FloatPointer(wFloats)) {
                for (int rows = 2; rows <= NativeGemv.MAX_ROWS; rows++) {
                    for (boolean accumulate : new boolean[] {false, true}) {
                        float[] x = VectorLmHeadTest.randomFloats(random, rows * k);
                        float[] start = VectorLmHeadTest.randomFloats(random, rows * n);
                        float[] together = start.clone();
                        NativeGemv.linear(x, 0, rows, k, w.address(), n, bias, accumulate, together, 0);
                        for (int r = 0; r < rows; r++) {
                            float[] alone = Arrays.copyOfRange(start, r * n, (r + 1) * n);
                            NativeGemv.linear(x, r * k, 1, k, w.address(), n, bias, accumulate, alone, 0);
                            assertArrayEquals(alone, Arrays.copyOfRange(together, r * n, (r + 1) * n),
                                    "k=" + k + " n=" + n + " rows=" + rows + " row " + r + " accumulate=" + accumulate);
                        }
                    }
                }
            }
        }
    }

    @Test
    void dotsGiveEachRowTheBitsItGetsAlone() {
        assumeTrue(NativeGemv.isAvailable(), "no native kernel here");
        Random random = new Random(22);
        int[][] shapes = {{1, 1}, {5, 3}, {16, 9}, {17, 2 * NativeGemv.MIN_DOT_ROWS + 13}, {768, 5003},
                {1601, 1027}};
        for (int[] shape : shapes) {
            int k = shape[0];
            int vocab = shape[1];
            float[] wFloats = VectorLmHeadTest.randomFloats(random, vocab * k);
            for (int rows : new int[] {1, 2, 3, 4, 5, 8, 11, 16, 21}) {
                float[] x = VectorLmHeadTest.randomFloats(random, rows * k + 3);
                try (FloatPointer w = new FloatPointer(wFloats);
                     FloatPointer together = new FloatPointer((long) rows * vocab);
                     FloatPointer alone = new FloatPointer(vocab)) {
                    long[] outputs = new long[rows];
                    for (int r = 0; r < rows; r++) {
                        outputs[r] = together.address() + (long) r * vocab * Float.BYTES;
                    }
                    NativeGemv.dots(x, 3, rows, k, w.address(), vocab, outputs);
                    for (int r = 0; r < rows; r++) {
                        NativeGemv.dots(x, 3 + r * k, k, w.address(), vocab, alone.address());
                        float[] want = new float[vocab];
                        float[] got = new float[vocab];
                        alone.get(want);
                        together.position((long) r * vocab).get(got);
                        together.position(0);
                        assertArrayEquals(want, got, "k=" + k + " vocab=" + vocab + " rows=" + rows + " row " + r);
                    }
                }
            }
        }
    }
}
