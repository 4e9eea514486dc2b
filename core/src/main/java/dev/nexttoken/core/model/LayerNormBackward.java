package dev.nexttoken.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The input gradient of LayerNorm over float32 rows, spread over the cores, for the trainer:
 * {@code dx += rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂))} with {@code dx̂ = dOut ⊙ γ}, for every row
 * of {@code [N, C]}.
 *
 * <p>Why: as Nd4j ops it is eight passes over the activations, two of them reductions along the
 * rows, which Nd4j runs slowly for short rows (~8 ms for a mean over {@code [2048, 128]}); the
 * LayerNorm backward passes took ~7 % of a training step (docs/TRAINING.md). Here each core copies
 * its rows into heap arrays and does the whole formula in one pass per row. Rows are independent,
 * so the result does not depend on the number of threads. The parameters' gradients (column sums)
 * stay with the caller.
 */
public final class LayerNormBackward {

    /** Rows per copy. */
    private static final int TILE_ROWS = 32;
    private static final int MIN_ROWS_PER_CHUNK = 64;
    private static final ScratchPool<float[][]> TILES = new ScratchPool<>(() -> new float[4][0]);

    private LayerNormBackward() {
    }

    /**
     * Whether the arrays can go through {@link #addInputGradient}: float32, row-major, not views.
     *
     * @param arrays the operands
     * @return true if all qualify
     */
    public static boolean accepts(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.isView()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Adds LayerNorm's input gradient to {@code dx}.
     *
     * @param dOut  {@code [N, C]} the gradient of the LayerNorm's output
     * @param hat   {@code [N, C]} the normalized input {@code x̂} of the forward pass
     * @param rstd  {@code [N, 1]} the reciprocal standard deviations of the forward pass
     * @param gamma {@code [C]} the scale
     * @param dx    {@code [N, C]} the input's gradient, added to
     */
    public static void addInputGradient(INDArray dOut, INDArray hat, INDArray rstd, INDArray gamma, INDArray dx) {
        int rows = (int) dOut.rows();
        int c = (int) dOut.columns();
        FloatBuffer dOuts = dOut.data().asNioFloat();
        FloatBuffer hats = hat.data().asNioFloat();
        FloatBuffer rstds = rstd.data().asNioFloat();
        FloatBuffer dxs = dx.data().asNioFloat();
        float[] g = gamma.data().asFloat();
        ParallelRange.run(rows, MIN_ROWS_PER_CHUNK, (from, to) -> {
            float[][] t = tiles(TILE_ROWS * c);
            float[] d = t[0];
            float[] h = t[1];
            float[] out = t[2];
            float[] rs = t[3];
            for (int r0 = from; r0 < to; r0 += TILE_ROWS) {
                int n = Math.min(TILE_ROWS, to - r0);
                int start = r0 * c;
                dOuts.get(start, d, 0, n * c);
                hats.get(start, h, 0, n * c);
                dxs.get(start, out, 0, n * c);
                rstds.get(r0, rs, 0, n);
                for (int r = 0; r < n; r++) {
                    int base = r * c;
                    float sum = 0;
                    float sumHat = 0;
                    for (int j = 0; j < c; j++) {
                        float dHat = d[base + j] * g[j];
                        sum += dHat;
                        sumHat += dHat * h[base + j];
                    }
                    float mean = sum / c;
                    float meanHat = sumHat / c;
                    float scale = rs[r];
                    for (int j = 0; j < c; j++) {
                        float dHat = d[base + j] * g[j];
                        out[base + j] += scale * (dHat - mean - h[base + j] * meanHat);
                    }
                }
                dxs.put(start, out, 0, n * c);
            }
            TILES.give(t);
        });
    }

    /** Four tiles of at least {@code size} floats (the last, for {@code rstd}, as well); give them back to {@link #TILES}. */
    private static float[][] tiles(int size) {
        float[][] t = TILES.take();
        if (t[0].length < size) {
            t = new float[][] {new float[size], new float[size], new float[size], new float[size]};
        }
        return t;
    }
}
