package dev.nexttoken.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * GPT-2's tanh GELU and its derivative over float32 arrays, spread over the cores, for the
 * trainer's MLP ({@code [B·T, 4C]} activations, a million elements per layer at the default shape).
 *
 * <p>Why: written as a chain of Nd4j element-wise ops (a dozen passes over memory, each a native
 * call) the GELU's forward and backward took ~8 % of a training step (docs/TRAINING.md). Here each
 * core copies its chunk into heap arrays (bulk copies), computes the whole expression in one loop
 * and copies the result back. Every element is computed alone, so results do not depend on the
 * number of threads.
 *
 * <p>Formulas: {@code th = tanh(√(2/π)·(x + a·x³))}, {@code gelu(x) = ½·x·(1 + th)},
 * {@code gelu'(x) = ½(1 + th) + ½·x·(1 − th²)·√(2/π)·(1 + 3a·x²)}, {@code a = 0.044715}. The
 * tanh is {@link FastTanh}'s, as in inference (within 1e-6 of {@link Math#tanh}, which Java 17
 * computes in software: it was ~6 % of a training step).
 */
public final class GeluKernels {

    private static final float K = (float) Math.sqrt(2 / Math.PI);
    private static final float A = 0.044715f;
    /** Elements per copy: three arrays of this many floats stay in L2. */
    private static final int TILE = 8192;
    private static final int MIN_CHUNK = 4 * TILE;
    private static final ScratchPool<float[][]> TILES = new ScratchPool<>(() -> new float[3][TILE]);

    private GeluKernels() {
    }

    /**
     * Whether the arrays can go through these kernels: float32, contiguous (no view offsets into
     * another shape), the same length.
     *
     * @param arrays the operands
     * @return true if all qualify
     */
    public static boolean accepts(INDArray... arrays) {
        long length = arrays[0].length();
        for (INDArray a : arrays) {
            if (a.dataType() != DataType.FLOAT || a.length() != length || a.ordering() != 'c' || a.isView()) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code tanh = th(x)} (kept for the backward pass) and {@code out = gelu(x)}.
     *
     * @param x    the pre-activations
     * @param tanh written: the inner tanh
     * @param out  written: the activations
     */
    public static void forward(INDArray x, INDArray tanh, INDArray out) {
        FloatBuffer xs = buffer(x);
        FloatBuffer ths = buffer(tanh);
        FloatBuffer outs = buffer(out);
        ParallelRange.run((int) x.length(), MIN_CHUNK, (from, to) -> {
            float[][] t = TILES.take();
            float[] xv = t[0];
            float[] th = t[1];
            float[] o = t[2];
            for (int start = from; start < to; start += TILE) {
                int n = Math.min(TILE, to - start);
                xs.get(start, xv, 0, n);
                for (int i = 0; i < n; i++) {
                    float v = xv[i];
                    float h = FastTanh.tanh(K * (v + A * v * v * v));
                    th[i] = h;
                    o[i] = 0.5f * v * (1f + h);
                }
                ths.put(start, th, 0, n);
                outs.put(start, o, 0, n);
            }
            TILES.give(t);
        });
    }

    /**
     * {@code d *= gelu'(x)} in place, from the kept tanh.
     *
     * @param x    the pre-activations
     * @param tanh the inner tanh of {@link #forward}
     * @param d    the gradient of the activations; becomes that of the pre-activations
     */
    public static void backward(INDArray x, INDArray tanh, INDArray d) {
        FloatBuffer xs = buffer(x);
        FloatBuffer ths = buffer(tanh);
        FloatBuffer ds = buffer(d);
        ParallelRange.run((int) x.length(), MIN_CHUNK, (from, to) -> {
            float[][] t = TILES.take();
            float[] xv = t[0];
            float[] th = t[1];
            float[] dv = t[2];
            for (int start = from; start < to; start += TILE) {
                int n = Math.min(TILE, to - start);
                xs.get(start, xv, 0, n);
                ths.get(start, th, 0, n);
                ds.get(start, dv, 0, n);
                for (int i = 0; i < n; i++) {
                    float v = xv[i];
                    float h = th[i];
                    float slope = 0.5f * (1f + h) + 0.5f * v * (1f - h * h) * K * (1f + 3f * A * v * v);
                    dv[i] *= slope;
                }
                ds.put(start, dv, 0, n);
            }
            TILES.give(t);
        });
    }

    /** The array's elements as a float buffer indexed from 0 (absolute access only). */
    private static FloatBuffer buffer(INDArray a) {
        return a.data().asNioFloat();
    }
}
