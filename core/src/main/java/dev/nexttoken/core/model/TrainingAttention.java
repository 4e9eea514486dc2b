package dev.nexttoken.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The trainer's causal self-attention, forward and backward, in float32 over Java arrays: per
 * (sequence, head) pair, spread over the cores, the products by {@link CacheAttention#multiply}
 * (the native prompt GEMM's tiles, or {@link VectorGemm}) and the softmax by
 * {@link CacheAttention#softmax}.
 *
 * <p>Why: as Nd4j's batched {@code matmul} of {@code [B, nh, T, hs]} arrays the attention ran at
 * 15–20 GFLOP/s and took a fifth of a training step at the default model's shape (a profile in
 * docs/TRAINING.md); each of its products is small ({@code T × hs · hs × T}), which the
 * prompt kernels do at close to their full rate on one core.
 *
 * <p>The math is the trainer's Nd4j path's: {@code S = q·kᵀ/√hs}, masked above the diagonal,
 * {@code P = softmax(S)} per row (0 above the diagonal), {@code y = P·v}; backward
 * {@code dP = dy·vᵀ}, {@code dv = Pᵀ·dy}, {@code dS = P ⊙ (dP − Σ_j dP ⊙ P) / √hs},
 * {@code dq = dS·k}, {@code dk = dSᵀ·q}. Each pair is computed by one thread in a fixed order, so
 * results do not depend on the number of threads.
 */
public final class TrainingAttention {

    private TrainingAttention() {
    }

    /**
     * Whether these kernels run here (the native kernels or the Vector API) and take the arrays:
     * float32, contiguous, c-order, each indexable by an {@code int}.
     *
     * @param arrays the operands
     * @return true if they can go through {@link #forward} / {@link #backward}
     */
    public static boolean accepts(INDArray... arrays) {
        if (!CacheAttention.PRODUCTS) {
            return false;
        }
        for (INDArray a : arrays) {
            if (a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.isView() || a.length() != a.data().length()
                    || a.length() > Integer.MAX_VALUE) {
                return false;
            }
        }
        return true;
    }

    /**
     * Forward: {@code att [B, nh, T, T]} = the attention weights (kept for the backward pass) and
     * {@code y [B·T, C]} = the heads' outputs side by side, from {@code qkv [B·T, 3C]}.
     *
     * @param qkv   the fused projections, query of head h for row r at {@code r·3C + h·hs}, key at {@code +C}, value at {@code +2C}
     * @param shape batch {@code B}, time {@code T}, heads {@code nh}, head size {@code hs}
     * @param att   written: the weights
     * @param y     written: the result
     * @param work  the caller's working arrays, kept between calls
     */
    public static void forward(INDArray qkv, Shape shape, INDArray att, INDArray y, Workspace work) {
        FloatBuffer qkvs = qkv.data().asNioFloat();
        FloatBuffer atts = att.data().asNioFloat();
        FloatBuffer ys = y.data().asNioFloat();
        int t = shape.time();
        int hs = shape.headSize();
        float scale = (float) (1 / Math.sqrt(hs));
        eachPair(shape, work, (s, pair) -> {
            s.read(qkvs, shape, pair);
            transpose(s.k, t, hs, s.kT);
            CacheAttention.multiply(s.q, 0, t, hs, s.kT, 0, t, t, s.p, 0);             // S = q·kᵀ  [T, T]
            for (int i = 0; i < t; i++) {
                int row = i * t;
                for (int j = 0; j <= i; j++) {
                    s.p[row + j] *= scale;
                }
                CacheAttention.softmax(s.p, row, i + 1);                              // P, causal
                java.util.Arrays.fill(s.p, row + i + 1, row + t, 0f);
            }
            atts.put(pair * t * t, s.p, 0, t * t);
            CacheAttention.multiply(s.p, 0, t, t, s.v, 0, hs, hs, s.out, 0);          // y = P·v  [T, hs]
            s.writeHeads(ys, shape, pair, s.out, 0, 1);
        });
    }

    /**
     * Backward of {@link #forward}: {@code dQkv [B·T, 3C]} (overwritten) from {@code dy [B·T, C]}.
     *
     * @param qkv   as given to {@link #forward}
     * @param shape as given to {@link #forward}
     * @param att   the weights {@link #forward} kept
     * @param dy    the gradient of its result
     * @param dQkv  written: the gradient of {@code qkv}
     * @param work  the caller's working arrays, kept between calls
     */
    public static void backward(INDArray qkv, Shape shape, INDArray att, INDArray dy, INDArray dQkv, Workspace work) {
        FloatBuffer qkvs = qkv.data().asNioFloat();
        FloatBuffer atts = att.data().asNioFloat();
        FloatBuffer dys = dy.data().asNioFloat();
        FloatBuffer dQkvs = dQkv.data().asNioFloat();
        int t = shape.time();
        int hs = shape.headSize();
        float scale = (float) (1 / Math.sqrt(hs));
        eachPair(shape, work, (s, pair) -> {
            s.read(qkvs, shape, pair);
            s.readHeads(dys, shape, pair, s.dy);
            atts.get(pair * t * t, s.p, 0, t * t);
            transpose(s.v, t, hs, s.vT);
            CacheAttention.multiply(s.dy, 0, t, hs, s.vT, 0, t, t, s.dp, 0);         // dP = dy·vᵀ  [T, T]
            transpose(s.p, t, t, s.pT);
            CacheAttention.multiply(s.pT, 0, t, t, s.dy, 0, hs, hs, s.dv, 0);        // dv = Pᵀ·dy  [T, hs]
            for (int i = 0; i < t; i++) {                                             // dS, in dp
                int row = i * t;
                float dot = 0f;
                for (int j = 0; j <= i; j++) {
                    dot += s.dp[row + j] * s.p[row + j];
                }
                for (int j = 0; j < t; j++) {
                    s.dp[row + j] = s.p[row + j] * (s.dp[row + j] - dot) * scale;
                }
            }
            CacheAttention.multiply(s.dp, 0, t, t, s.k, 0, hs, hs, s.out, 0);        // dq = dS·k  [T, hs]
            s.writeHeads(dQkvs, shape, pair, s.out, 0, 3);
            transpose(s.dp, t, t, s.pT);
            CacheAttention.multiply(s.pT, 0, t, t, s.q, 0, hs, hs, s.out, 0);        // dk = dSᵀ·q  [T, hs]
            s.writeHeads(dQkvs, shape, pair, s.out, 1, 3);
            s.writeHeads(dQkvs, shape, pair, s.dv, 2, 3);
        });
    }

    /** One (sequence, head) pair's work, with this thread's arrays. */
    @FunctionalInterface
    private interface PairBody {
        void run(Scratch s, int pair);
    }

    /** {@code body} for every pair {@code b·nh + h}, spread over the cores, each thread with a set of {@code work}'s arrays. */
    private static void eachPair(Shape shape, Workspace work, PairBody body) {
        ParallelRange.run(shape.batch() * shape.heads(), 1, (from, to) -> {
            Scratch s = work.take().size(shape.time(), shape.headSize());
            for (int pair = from; pair < to; pair++) {
                body.run(s, pair);
            }
            work.give(s);
        });
    }

    /** {@code out [cols, rows] = in [rows, cols]ᵀ}. */
    private static void transpose(float[] in, int rows, int cols, float[] out) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = in[r * cols + c];
            }
        }
    }

    /**
     * The attention's shape.
     *
     * @param batch    sequences {@code B}
     * @param time     positions per sequence {@code T}
     * @param heads    heads {@code nh}
     * @param headSize floats per head {@code hs}
     */
    public record Shape(int batch, int time, int heads, int headSize) {
        int width() {
            return heads * headSize;
        }
    }

    /**
     * The working arrays of one caller's calls (a trainer's: a step makes a dozen), kept between
     * them: one set per chunk in flight, so at most one per core.
     */
    public static final class Workspace {
        private final ConcurrentLinkedDeque<Scratch> free = new ConcurrentLinkedDeque<>();

        Scratch take() {
            Scratch s = free.pollLast();
            return s != null ? s : new Scratch();
        }

        void give(Scratch s) {
            free.addLast(s);
        }
    }

    /** One thread's arrays for one (sequence, head) pair. */
    private static final class Scratch {
        float[] q = new float[0];
        float[] k = new float[0];
        float[] kT = new float[0];
        float[] v = new float[0];
        float[] vT = new float[0];
        float[] p = new float[0];
        float[] pT = new float[0];
        float[] dp = new float[0];
        float[] dy = new float[0];
        float[] dv = new float[0];
        float[] out = new float[0];

        /** Grows the arrays for {@code T = t} and {@code hs}; returns this. */
        Scratch size(int t, int hs) {
            if (p.length < t * t || q.length < t * hs) {
                int th = t * hs;
                q = new float[th];
                k = new float[th];
                kT = new float[th];
                v = new float[th];
                vT = new float[th];
                dy = new float[th];
                dv = new float[th];
                out = new float[th];
                p = new float[t * t];
                pT = new float[t * t];
                dp = new float[t * t];
            }
            return this;
        }

        /** q, k, v {@code [T, hs]} of pair {@code pair = b·nh + h} from {@code qkv [B·T, 3C]}. */
        void read(FloatBuffer qkv, Shape shape, int pair) {
            int t = shape.time();
            int hs = shape.headSize();
            int c = shape.width();
            int b = pair / shape.heads();
            int h = pair % shape.heads();
            for (int i = 0; i < t; i++) {
                int row = (b * t + i) * 3 * c + h * hs;
                qkv.get(row, q, i * hs, hs);
                qkv.get(row + c, k, i * hs, hs);
                qkv.get(row + 2 * c, v, i * hs, hs);
            }
        }

        /** {@code into [T, hs]} = pair {@code pair}'s columns of {@code rows [B·T, C]}. */
        void readHeads(FloatBuffer rows, Shape shape, int pair, float[] into) {
            int t = shape.time();
            int hs = shape.headSize();
            int b = pair / shape.heads();
            int h = pair % shape.heads();
            for (int i = 0; i < t; i++) {
                rows.get((b * t + i) * shape.width() + h * hs, into, i * hs, hs);
            }
        }

        /**
         * Writes {@code from [T, hs]} into pair {@code pair}'s columns of {@code rows}: part
         * {@code part} of {@code parts} blocks of C per row ({@code [B·T, C]}: 0 of 1;
         * {@code [B·T, 3C]}: q, k, v = 0, 1, 2 of 3).
         */
        void writeHeads(FloatBuffer rows, Shape shape, int pair, float[] from, int part, int parts) {
            int t = shape.time();
            int hs = shape.headSize();
            int c = shape.width();
            int b = pair / shape.heads();
            int h = pair % shape.heads();
            for (int i = 0; i < t; i++) {
                rows.put((b * t + i) * parts * c + part * c + h * hs, from, i * hs, hs);
            }
        }
    }
}
