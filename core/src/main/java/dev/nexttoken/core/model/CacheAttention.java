package dev.nexttoken.core.model;

import java.util.Arrays;

/**
 * Causal self-attention of the new positions over the KV cache, for the CPU path: per sequence
 * and head, {@code softmax(q·Kᵀ/√hs) · V} over every cached position up to the query's own.
 *
 * <p>Everything lives in Java arrays ({@link KvCache#heapKeys}, {@link KvCache#heapValues}),
 * with the keys stored transposed, {@code [B, nh, hs, capacity]}: then both products read
 * contiguous rows. A single query (a decode step) keeps its partial sums in registers
 * ({@link VectorDecodeAttention}); a short prompt's queries are {@code y += a·x} loops
 * ({@link VectorAxpy}, or plain loops without the Vector API, which give the same bits for the
 * same weights; the weights themselves differ in the last bits, {@link VectorSoftmax}'s {@code exp}
 * against {@link Math#exp}); a long prompt is two matrix products per (sequence, head) and block
 * of {@link #CAUSAL_BLOCK} queries ({@link NativeKernels#multiply}, or {@link VectorGemm}). As BLAS calls this
 * was two tiny products per pair, 24 calls per layer for GPT-2 small, each paying a call and,
 * once the cache is long enough, OpenBLAS's hand-off to its other thread; on long contexts that
 * cost more than the weight products (docs/PERFORMANCE.md).
 */
final class CacheAttention {

    /**
     * Below this many multiply-adds the pairs go only to workers that are awake anyway (right
     * after a product of {@link NativeKernels} or {@link VectorGemm}), or all run on the calling
     * thread: waking a parked worker and waiting for it costs a scheduler round-trip, more than a
     * decode step's attention of one sequence takes alone. The value is a few wake-ups' worth of
     * work (see docs/PERFORMANCE.md).
     */
    private static final long PARALLEL_WORK = 300_000;
    /**
     * The key rows are read in whole blocks of this many positions (past {@code seen} into the
     * row's unused capacity, or into the next row, possibly another (sequence, head) pair's that
     * another thread is writing at that moment), so the vector loop has no scalar tail. Those
     * scores are never used: no softmax, maximum or sum looks past {@code seen}. {@link KvCache}
     * pads its key arrays by as much.
     */
    static final int KEY_BLOCK = 16;
    /** Prompts of at least this many positions attend with matrix products ({@link #PRODUCTS}). */
    private static final int GEMM_QUERIES = 16;
    /** Positions per block when a prompt's keys are transposed into the cache (16 rows of 64 floats fit L1). */
    private static final int STORE_BLOCK = 16;
    /** Queries of a prompt attended together, sharing each read of the cache. */
    private static final int QUERY_BLOCK = 4;
    /**
     * Queries per pair of products in {@link #attendAsProducts}: each block multiplies only the keys
     * and values its last query may see, so a prompt computes ~(1 + block / T) / 2 of the full
     * {@code T × L} scores instead of all of them. Smaller blocks skip more scores but make more,
     * smaller products; 64 was the best of the sizes tried (see docs/PERFORMANCE.md).
     */
    private static final int CAUSAL_BLOCK = 64;

    private static final boolean VECTORS = VectorMatmulSupport.isAvailable();
    /**
     * A prompt's attention products by {@link NativeKernels#multiply} where the native kernels run
     * (with or without the Vector API), else by {@link VectorGemm#multiply} where the Vector API is
     * there; without either, the loops of {@link #attendFour}.
     */
    private static final boolean NATIVE_PRODUCTS = NativeKernels.isAvailable();
    static final boolean PRODUCTS = NATIVE_PRODUCTS || VECTORS;
    /** Single queries (decode steps) use {@link VectorDecodeAttention}: vectors must tile {@link #KEY_BLOCK}. */
    private static final boolean DECODE_VECTORS = VECTORS && KEY_BLOCK % VectorDecodeAttention.L == 0;

    /** Working arrays, one per chunk in flight, grown to the largest call seen. */
    private static final ScratchPool<Scratch> SCRATCH = new ScratchPool<>(Scratch::new);

    private CacheAttention() {
    }

    /**
     * Writes the {@code time} new positions' keys and values of every sequence into the cache,
     * after the {@code start} cached ones, and attends them. Each (sequence, head) pair is written
     * by the thread that then attends it, so the write runs on every core and leaves the cache
     * lines it touched hot for the reads that follow (written on one thread, the transposed write
     * costs a cache miss per key element, a visible share of a batch decode step:
     * docs/PERFORMANCE.md).
     *
     * @param qkv      the projections {@code [B*T, 3C]}: query of head h for row r at {@code r*3C + h*hs}
     * @param keys     the layer's keys, transposed: {@code [B, nh, hs, capacity]}, plus
     *                 {@link #KEY_BLOCK} floats of padding
     * @param values   the layer's values {@code [B, nh, capacity, hs]}
     * @param shape    model shape ({@code nh}, {@code hs})
     * @param batch    sequences {@code B}
     * @param time     new positions per sequence {@code T}
     * @param start    cached positions before them
     * @param capacity positions per sequence in the cache
     * @param out      the result {@code [B*T, C]}
     */
    static void attend(float[] qkv, float[] keys, float[] values, Gpt2Config shape, int batch, int time, int start,
                       int capacity, float[] out) {
        int heads = shape.nHead();
        int headSize = shape.headSize();
        long work = (long) batch * heads * time * (start + time) * headSize;        // multiply-adds for q·K
        int threads = work >= PARALLEL_WORK ? ParallelRange.threads() : ParallelRange.awakeWorkers() + 1;
        boolean products = PRODUCTS && time >= GEMM_QUERIES;
        int width = roundUp(start + time);
        ParallelRange.run(batch * heads, 1, threads, (from, to) -> {
            Scratch scratch = SCRATCH.take();
            float[] weights = products ? null : scratch.scores(QUERY_BLOCK * width);
            for (int pair = from; pair < to; pair++) {
                int b = pair / heads;
                int h = pair % heads;
                int block = pair * capacity * headSize;                    // [b, h, 0, 0] of either cache
                store(qkv, keys, values, heads, headSize, capacity, b, h, block, time, start);
                if (products) {
                    attendAsProducts(qkv, keys, values, heads, headSize, capacity, b, h, block, time, start,
                            scratch, out);
                    continue;
                }
                int t = 0;
                for (; t + QUERY_BLOCK <= time; t += QUERY_BLOCK) {
                    attendFour(qkv, keys, values, heads, headSize, capacity, b, h, block, time, start, t, width,
                            weights, out);
                }
                for (; t < time; t++) {
                    int row = b * time + t;
                    int q = row * 3 * heads * headSize + h * headSize;
                    int o = row * heads * headSize + h * headSize;
                    int seen = start + t + 1;                              // causal: up to itself
                    scores(qkv, q, keys, block, headSize, capacity, seen, weights);
                    softmax(weights, 0, seen);
                    weightedValues(weights, values, block, headSize, seen, out, o);
                }
            }
            SCRATCH.give(scratch);                         // not after a failure: the pool makes another
        });
    }

    /**
     * Copies the new keys and values of sequence {@code b}, head {@code h} from {@code qkv [B*T, 3C]}
     * into the cache at positions {@code start …}: keys transposed ({@code Kᵀ [hs, capacity]}),
     * values as rows ({@code V [capacity, hs]}).
     */
    private static void store(float[] qkv, float[] keysT, float[] values, int heads, int headSize, int capacity,
                              int b, int h, int block, int time, int start) {
        int c = heads * headSize;
        // Keys in blocks of positions: each key row is read once, each Kᵀ row written in runs.
        for (int t0 = 0; t0 < time; t0 += STORE_BLOCK) {
            int t1 = Math.min(time, t0 + STORE_BLOCK);
            for (int d = 0; d < headSize; d++) {
                int to = block + d * capacity + start;
                for (int t = t0; t < t1; t++) {
                    keysT[to + t] = qkv[(b * time + t) * 3 * c + c + h * headSize + d];
                }
            }
        }
        for (int t = 0; t < time; t++) {
            int row = (b * time + t) * 3 * c + h * headSize;
            System.arraycopy(qkv, row + 2 * c, values, block + (start + t) * headSize, headSize);
        }
    }

    /**
     * All {@code T} queries of sequence {@code b}, head {@code h} as matrix products (native or
     * {@link VectorGemm}, on this thread: the pairs are already spread over the cores), a block of
     * {@link #CAUSAL_BLOCK} queries at a time, each seeing its first {@code L_b} positions (those
     * its last query sees): {@code S[Tb, L_b] = (Q/√hs)[Tb, hs] · Kᵀ[hs, L_b]}, a causal softmax
     * per row, then {@code Y[Tb, hs] = S · V[L_b, hs]}. Scores of positions a query may not see
     * within its block are computed and zeroed (at GEMM speed, several times the loops').
     */
    private static void attendAsProducts(float[] qkv, float[] keysT, float[] values, int heads, int headSize,
                                         int capacity, int b, int h, int block, int time, int start,
                                         Scratch scratch, float[] out) {
        int c = heads * headSize;
        int blockRows = Math.min(CAUSAL_BLOCK, time);
        float[] queries = scratch.queries(time * headSize);                 // [T, hs]
        float[] scores = scratch.scores(blockRows * (start + time));        // [Tb, L_b]
        float[] result = scratch.result(time * headSize);                   // [T, hs]
        float scale = (float) (1.0 / Math.sqrt(headSize));
        for (int t = 0; t < time; t++) {                                     // Q/√hs as [T, hs]
            int q = (b * time + t) * 3 * c + h * headSize;
            for (int d = 0; d < headSize; d++) {
                queries[t * headSize + d] = qkv[q + d] * scale;
            }
        }
        for (int t0 = 0; t0 < time; t0 += blockRows) {
            int rows = Math.min(blockRows, time - t0);
            int seen = start + t0 + rows;                                    // L_b: what the block's last query sees
            multiply(queries, t0 * headSize, rows, headSize, keysT, block, capacity, seen, scores, 0);
            for (int r = 0; r < rows; r++) {                                 // causal softmax per row of [Tb, L_b]
                int visible = start + t0 + r + 1;
                softmax(scores, r * seen, visible);
                Arrays.fill(scores, r * seen + visible, (r + 1) * seen, 0f);
            }
            multiply(scores, 0, rows, seen, values, block, headSize, headSize, result, t0 * headSize);
        }
        for (int t = 0; t < time; t++) {                                     // [T, hs] into out's rows
            System.arraycopy(result, t * headSize, out, (b * time + t) * c + h * headSize, headSize);
        }
    }

    /**
     * {@code y[rows, n] = x[rows, k] · W}, {@code W}'s rows {@code ldw} apart, on the calling
     * thread: see {@link #NATIVE_PRODUCTS}. Only where {@link #PRODUCTS}.
     */
    static void multiply(float[] x, int xOff, int rows, int k, float[] w, int wOff, int ldw, int n,
                                 float[] y, int yOff) {
        if (NATIVE_PRODUCTS) {
            NativeKernels.multiply(x, xOff, rows, k, w, wOff, ldw, n, y, yOff);
        } else {
            VectorGemm.multiply(x, xOff, rows, k, w, wOff, ldw, n, y, yOff);
        }
    }

    /**
     * A thread's working arrays, each grown to the largest request and never shrunk: rows of
     * scores (the loops' four rows, or a block of a prompt's, {@code [Tb, L_b]}), and a prompt's queries and
     * results.
     */
    private static final class Scratch {
        private float[] scores = new float[QUERY_BLOCK * 1024];
        private float[] queries = new float[0];
        private float[] result = new float[0];

        float[] scores(int length) {
            return scores = atLeast(scores, length);
        }

        float[] queries(int length) {
            return queries = atLeast(queries, length);
        }

        float[] result(int length) {
            return result = atLeast(result, length);
        }

        /** {@code array} if it holds {@code length} floats, else a new array that does. */
        private static float[] atLeast(float[] array, int length) {
            return array.length >= length ? array : new float[length];
        }
    }

    /**
     * Queries {@code t … t+3} of sequence {@code b}, head {@code h} together: each row of
     * {@code Kᵀ} and of {@code V} is read once for the four (from L2: a head's keys are 128 KB at
     * 512 positions), instead of once per query. Their scores go to rows {@code i·width} of
     * {@code weights}; positions a query may not see get weight 0.
     */
    private static void attendFour(float[] qkv, float[] keysT, float[] values, int heads, int headSize, int capacity,
                                   int b, int h, int block, int time, int start, int t, int width,
                                   float[] weights, float[] out) {
        int c = heads * headSize;
        int q0 = (b * time + t) * 3 * c + h * headSize;                    // queries are 3C apart
        int o0 = (b * time + t) * c + h * headSize;                        // outputs are C apart
        int last = start + t + QUERY_BLOCK;                                // the last query sees this many
        int span = roundUp(last);
        float scale = (float) (1.0 / Math.sqrt(headSize));
        Arrays.fill(weights, 0, QUERY_BLOCK * width, 0f);
        for (int d = 0; d < headSize; d++) {
            int row = block + d * capacity;
            axpy4(qkv[q0 + d] * scale, qkv[q0 + 3 * c + d] * scale, qkv[q0 + 6 * c + d] * scale,
                    qkv[q0 + 9 * c + d] * scale, keysT, row, weights, 0, width, span);
        }
        for (int i = 0; i < QUERY_BLOCK; i++) {
            int seen = start + t + i + 1;
            softmax(weights, i * width, seen);
            Arrays.fill(weights, i * width + seen, i * width + last, 0f);   // masked: not yet seen by query i
        }
        Arrays.fill(out, o0, o0 + headSize, 0f);
        Arrays.fill(out, o0 + c, o0 + c + headSize, 0f);
        Arrays.fill(out, o0 + 2 * c, o0 + 2 * c + headSize, 0f);
        Arrays.fill(out, o0 + 3 * c, o0 + 3 * c + headSize, 0f);
        for (int j = 0; j < last; j++) {
            axpy4(weights[j], weights[width + j], weights[2 * width + j], weights[3 * width + j],
                    values, block + j * headSize, out, o0, c, headSize);
        }
    }

    private static int roundUp(int seen) {
        return (seen + KEY_BLOCK - 1) / KEY_BLOCK * KEY_BLOCK;
    }

    /**
     * {@code scores[j] = q · K[j] / √hs} for {@code j < seen} (and whole blocks past it), over
     * {@code Kᵀ [hs, capacity]}: in registers with the Vector API, else one row of {@code Kᵀ} at a
     * time.
     */
    private static void scores(float[] qkv, int q, float[] keysT, int block, int headSize, int capacity, int seen,
                               float[] scores) {
        float scale = (float) (1.0 / Math.sqrt(headSize));
        int width = roundUp(seen);                                          // whole blocks, no tail
        if (DECODE_VECTORS) {
            VectorDecodeAttention.scores(qkv, q, scale, keysT, block, headSize, capacity, width, scores);
            return;
        }
        Arrays.fill(scores, 0, width, 0f);
        for (int d = 0; d < headSize; d++) {
            float qd = qkv[q + d] * scale;
            int row = block + d * capacity;
            axpy(qd, keysT, row, scores, 0, width);
        }
    }

    /** {@code out[o … o+hs) = Σ_j w[j] · V[j]}: in registers with the Vector API, else one cached row at a time. */
    private static void weightedValues(float[] w, float[] values, int block, int headSize, int seen,
                                       float[] out, int o) {
        if (DECODE_VECTORS) {
            VectorDecodeAttention.weightedValues(w, seen, values, block, headSize, out, o);
            return;
        }
        Arrays.fill(out, o, o + headSize, 0f);
        for (int j = 0; j < seen; j++) {
            float p = w[j];
            int row = block + j * headSize;
            axpy(p, values, row, out, o, headSize);
        }
    }

    /** {@code y[yOff + i] += a · x[xOff + i]} for {@code i < n}: vector-wide when the Vector API is there. */
    private static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        if (VECTORS) {
            VectorAxpy.axpy(a, x, xOff, y, yOff, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
        }
    }

    /**
     * {@code y[yOff + i·yStride + m] += a_i · x[xOff + m]} for the four rows {@code i} and
     * {@code m < n}: one read of {@code x} for four outputs.
     */
    private static void axpy4(float a0, float a1, float a2, float a3, float[] x, int xOff, float[] y, int yOff,
                              int yStride, int n) {
        if (VECTORS) {
            VectorAxpy.axpy4(a0, a1, a2, a3, x, xOff, y, yOff, yStride, n);
            return;
        }
        for (int m = 0; m < n; m++) {
            float v = x[xOff + m];
            y[yOff + m] = Math.fma(a0, v, y[yOff + m]);
            y[yOff + yStride + m] = Math.fma(a1, v, y[yOff + yStride + m]);
            y[yOff + 2 * yStride + m] = Math.fma(a2, v, y[yOff + 2 * yStride + m]);
            y[yOff + 3 * yStride + m] = Math.fma(a3, v, y[yOff + 3 * yStride + m]);
        }
    }

    /**
     * Softmax of {@code w[from … from+seen)} in place, shifted by the maximum for stability: with
     * {@link VectorSoftmax} when the Vector API is there, else with {@link Math#exp} in double.
     */
    static void softmax(float[] w, int from, int seen) {
        if (VECTORS) {
            VectorSoftmax.softmax(w, from, seen);
            return;
        }
        int to = from + seen;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) {
            max = Math.max(max, w[j]);
        }
        double sum = 0;
        for (int j = from; j < to; j++) {
            float e = (float) Math.exp(w[j] - max);
            w[j] = e;
            sum += e;
        }
        float inv = (float) (1 / sum);
        for (int j = from; j < to; j++) {
            w[j] *= inv;
        }
    }
}
