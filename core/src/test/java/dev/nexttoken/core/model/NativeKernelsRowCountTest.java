package dev.nexttoken.core.model;

import dev.nexttoken.core.model.NativeKernels.Isa;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@link NativeKernels}'s results for a row do not depend on how many rows share the call, nor on
 * what the other rows hold: a row of {@link NativeKernels#linear} and of the lm_head's
 * {@link NativeKernels#dots} among 2 to 16 random rows gives the same bits as that row alone, for
 * every {@link WeightFormat} and every instruction set this CPU has ({@link NativeKernelsTest#isas()},
 * asserted to run). This is what lets sequences decoded together ({@link Gpt2Model#forwardTogether})
 * get exactly what each gets alone. Shapes around the kernels' 8-row passes, vector tails, Q8
 * blocks, 4-row lm_head blocks and the split over the cores.
 */
class NativeKernelsRowCountTest {

    @Test
    void linearGivesEachRowTheBitsItGetsAlone() {
        int[][] shapes = {{1, 1}, {7, 17}, {8, 16}, {9, 33}, {2 * RowSplit.MIN_PART_ROWS + 7, 31}, {257, 100},
                {768, 2304}};
        for (Isa isa : NativeKernelsTest.isas()) {
            for (WeightFormat format : WeightFormat.values()) {
                Random random = new Random(21 + 7 * format.ordinal() + isa.code);
                for (int[] shape : shapes) {
                    int k = shape[0];
                    int n = shape[1];
                    float[] bias = VectorLmHeadTest.randomFloats(random, n);
                    try (EncodedWeights w = EncodedWeights.random(format, random, k, n)) {
                        for (int rows = 2; rows <= NativeKernels.MAX_ROWS; rows++) {
                            boolean accumulate = random.nextBoolean();
                            float[] x = VectorLmHeadTest.randomFloats(random, rows * k);
                            float[] start = VectorLmHeadTest.randomFloats(random, rows * n);
                            float[] together = start.clone();
                            NativeKernels.linear(isa, format, w.address(), w.scales(), x, 0, rows, k, n, bias,
                                    accumulate, together, 0);
                            for (int r : checked(random, rows)) {
                                float[] alone = Arrays.copyOfRange(start, r * n, (r + 1) * n);
                                NativeKernels.linear(isa, format, w.address(), w.scales(), x, r * k, 1, k, n, bias,
                                        accumulate, alone, 0);
                                assertArrayEquals(alone, Arrays.copyOfRange(together, r * n, (r + 1) * n), isa.label
                                        + " " + format + " k=" + k + " n=" + n + " rows=" + rows + " row " + r
                                        + " accumulate=" + accumulate);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void dotsGiveEachRowTheBitsItGetsAlone() {
        int[][] shapes = {{1, 1}, {5, 3}, {16, 9}, {33, 2 * NativeKernels.MIN_DOT_ROWS + 13}, {100, 1027},
                {768, 5003}};
        for (Isa isa : NativeKernelsTest.isas()) {
            for (WeightFormat format : WeightFormat.values()) {
                Random random = new Random(22 + 7 * format.ordinal() + isa.code);
                for (int[] shape : shapes) {
                    int k = shape[0];
                    int vocab = shape[1];
                    try (EncodedWeights w = EncodedWeights.random(format, random, vocab, k);
                         FloatPointer together = new FloatPointer((long) NativeKernels.MAX_ROWS * vocab);
                         FloatPointer alone = new FloatPointer(vocab)) {
                        for (int rows = 2; rows <= NativeKernels.MAX_ROWS; rows++) {
                            float[] x = VectorLmHeadTest.randomFloats(random, rows * k + 3);
                            long[] outputs = new long[rows];
                            for (int r = 0; r < rows; r++) {
                                outputs[r] = together.address() + (long) r * vocab * Float.BYTES;
                            }
                            NativeKernels.dots(isa, format, w.address(), w.scales(), x, 3, rows, k, vocab, outputs);
                            for (int r : checked(random, rows)) {
                                NativeKernels.dots(isa, format, w.address(), w.scales(), x, 3 + r * k, 1, k, vocab,
                                        new long[] {alone.address()});
                                float[] want = new float[vocab];
                                float[] got = new float[vocab];
                                alone.get(want);
                                together.position((long) r * vocab).get(got);
                                together.position(0);
                                assertArrayEquals(want, got, isa.label + " " + format + " k=" + k + " vocab=" + vocab
                                        + " rows=" + rows + " row " + r);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The rows compared with their result alone: all of them in a call of {@link NativeKernels#MAX_ROWS}, else one at random. */
    private static int[] checked(Random random, int rows) {
        if (rows == NativeKernels.MAX_ROWS) {
            int[] all = new int[rows];
            Arrays.setAll(all, r -> r);
            return all;
        }
        return new int[] {random.nextInt(rows)};
    }
}
