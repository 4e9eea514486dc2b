package dev.nexttoken.core.model;

import dev.nexttoken.core.io.Float16;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels a model of each format gets ({@link MatrixKernels#choose}: native where
 * {@link NativeKernels} runs the format, else Java) against a reference in double that decodes
 * the stored bytes itself (float16 / bfloat16 bit patterns, Q8 bytes times their float16 scale):
 * decode products of 1–16 rows with and without accumulation, the lm_head, widening; shapes
 * whose rows end in a short Q8 block. Tolerance: 1e-5 relative to the sum of |terms|
 * (float32 accumulation). And the Q8 rule on hand-made blocks.
 */
class MatrixKernelsTest {

    private static final int[][] SHAPES = {{37, 70}, {64, 96}, {5, 33}};

    @Test
    void productsMatchAReferenceOnTheStoredBytesInEveryFormat() {
        Random random = new Random(19);
        for (WeightFormat format : WeightFormat.values()) {
            MatrixKernels kernels = MatrixKernels.choose();
            for (int[] shape : SHAPES) {
                int k = shape[0];
                int n = shape[1];
                INDArray source = random(random, k, n);
                try (WeightMatrix w = WeightMatrix.fromFloats(format, source);
                     CpuScratch s = new CpuScratch(Gpt2Config.preset("gpt2"), 16, 0)) {
                    double[][] ref = reference(w);
                    float[] bias = floats(random, n);
                    for (int rows : new int[] {1, 2, 7, 16}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            float[] x = floats(random, rows * k);
                            float[] y = floats(random, rows * n);
                            float[] start = y.clone();
                            kernels.decode(w, x, 0, rows, bias, accumulate, y, 0, s);
                            float[] read = ProductReference.roundsRowsForQ8(kernels.name(), format) ? ProductReference.q8Rows(x, 0, rows, k) : x;
                            for (int r = 0; r < rows; r++) {
                                for (int j = 0; j < n; j++) {
                                    double sum = (accumulate ? start[r * n + j] : 0) + bias[j];
                                    double scale = Math.abs(sum);
                                    for (int i = 0; i < k; i++) {
                                        sum += (double) read[r * k + i] * ref[i][j];
                                        scale += Math.abs(read[r * k + i] * ref[i][j]);
                                    }
                                    assertEquals(sum, y[r * n + j], 1e-5 * scale + 1e-7,
                                            format + " " + kernels.name() + " [" + k + "x" + n + "] rows " + rows);
                                }
                            }
                        }
                    }
                    // the lm_head: W as [vocab = k, C = n]
                    int rows = 3;
                    float[] x = floats(random, rows * n);
                    INDArray out = Nd4j.create(DataType.FLOAT, rows, k);
                    long base = out.data().address();
                    kernels.dots(w, x, 0, rows, new long[] {base, base + (long) k * 4, base + 2L * k * 4}, s);
                    float[][] logits = out.toFloatMatrix();
                    for (int r = 0; r < rows; r++) {
                        for (int v = 0; v < k; v++) {
                            double sum = 0;
                            double scale = 0;
                            for (int i = 0; i < n; i++) {
                                sum += (double) x[r * n + i] * ref[v][i];
                                scale += Math.abs(x[r * n + i] * ref[v][i]);
                            }
                            assertEquals(sum, logits[r][v], 1e-5 * scale + 1e-7, format + " lm_head");
                        }
                    }
                    // widening is exact
                    float[] row = new float[2 * n];
                    kernels.widen(w, 1, 3, row, 0);
                    for (int j = 0; j < n; j++) {
                        assertEquals(ref[1][j], row[j], 0.0, format + " widen");
                        assertEquals(ref[2][j], row[n + j], 0.0, format + " widen");
                    }
                }
            }
        }
    }

    @Test
    void rowsDoNotDependOnTheirNeighboursWhereTheKernelsSaySo() {
        Random random = new Random(7);
        for (WeightFormat format : WeightFormat.values()) {
            MatrixKernels kernels = MatrixKernels.choose();
            if (!kernels.rowCountInvariant()) {
                continue;
            }
            int k = 40;
            int n = 90;
            try (WeightMatrix w = WeightMatrix.fromFloats(format, random(random, k, n));
                 CpuScratch s = new CpuScratch(Gpt2Config.preset("gpt2"), 16, 0)) {
                float[] x = floats(random, 16 * k);
                float[] together = new float[16 * n];
                kernels.decode(w, x, 0, 16, null, false, together, 0, s);
                for (int r = 0; r < 16; r++) {
                    float[] alone = new float[n];
                    kernels.decode(w, x, r * k, 1, null, false, alone, 0, s);
                    float[] part = java.util.Arrays.copyOfRange(together, r * n, (r + 1) * n);
                    assertArrayEquals(alone, part, 0f, format + " row " + r);
                }
            }
        }
    }

    /** Q8 blocks run down the columns: a column of 40 values is a block of 32 and one of 8. */
    @Test
    void q8FollowsTheDocumentedRule() {
        float[][] values = new float[40][2];
        values[0][0] = 1.27f;                                    // d = 0.01
        values[1][0] = -0.005f;                                  // -0.5 -> -1 (half away from zero)
        values[2][0] = 0.015f;                                   // 1.5 -> 2
        values[3][0] = -1.27f;
        values[0][1] = 0.5f;                                     // the other column: its own d
        INDArray source = Nd4j.createFromArray(values);
        try (WeightMatrix q8 = WeightMatrix.fromFloats(WeightFormat.Q8, source)) {
            ByteBuffer bytes = q8.bytes();
            assertEquals(127, bytes.get(0));
            assertEquals(127, bytes.get(1));
            assertEquals(-1, bytes.get(2));
            assertEquals(2, bytes.get(4));
            assertEquals(-127, bytes.get(6));
            float[] row = new float[2];
            q8.widenRow(0, 0, 2, row, 0);
            float d = Float16.halfToFloat(Float16.floatToHalf(1.27f / 127f));
            assertEquals(127 * d, row[0], 0f);
            assertEquals(0.5f, row[1], 1e-3f);
            for (int r = 32; r < 40; r++) {
                q8.widenRow(r, 0, 2, row, 0);
                assertEquals(0f, row[0], 0f, "an all-zero block has d = 0 and q = 0");
            }
            assertEquals(List.of(2L, 2L), Arrays.stream(q8.toRawTensors("m").get("m" + WeightMatrix.Q8_SCALES).shape())
                    .boxed().toList(), "scales [ceil(rows / 32), cols]");
        }
        assertEquals(127, WeightMatrix.quantize(200f));
        assertEquals(-127, WeightMatrix.quantize(-127.4f));
        assertEquals(3, WeightMatrix.quantize(2.5f));
        assertEquals(-3, WeightMatrix.quantize(-2.5f));
    }

    /** The stored matrix decoded from its bytes, independently of the kernels' code. */
    private static double[][] reference(WeightMatrix w) {
        ByteBuffer bytes = w.bytes().order(ByteOrder.LITTLE_ENDIAN);
        int rows = w.rows();
        int cols = w.cols();
        double[][] out = new double[rows][cols];
        ByteBuffer scales = w.format() == WeightFormat.Q8
                ? w.toRawTensors("m").get("m.q8_scales").data().order(ByteOrder.LITTLE_ENDIAN) : null;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int at = r * cols + j;
                out[r][j] = switch (w.format()) {
                    case F32 -> bytes.getFloat(at * 4);
                    case F16 -> halfToDouble(bytes.getShort(at * 2));
                    case BF16 -> Float.intBitsToFloat((bytes.getShort(at * 2) & 0xFFFF) << 16);
                    case Q8 -> bytes.get(at) * halfToDouble(scales.getShort(((r / 32) * cols + j) * 2));
                };
            }
        }
        return out;
    }

    /** IEEE half to double from its fields (normal, subnormal, zero; GPT-2's weights hold no inf/NaN). */
    private static double halfToDouble(short bits) {
        int sign = (bits >> 15) & 1;
        int exponent = (bits >> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        double value = exponent == 0 ? mantissa * Math.pow(2, -24) : (1024 + mantissa) * Math.pow(2, exponent - 25);
        assertTrue(exponent != 0x1F, "no inf/NaN expected");
        return sign == 1 ? -value : value;
    }

    private static INDArray random(Random random, int rows, int cols) {
        float[][] values = new float[rows][cols];
        for (float[] row : values) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) (random.nextGaussian() * 0.5);
            }
        }
        return Nd4j.createFromArray(values);
    }

    private static float[] floats(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
