package dev.nexttoken.core.model;

import dev.nexttoken.core.model.StepProfile.Section;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The CPU fast path of the forward pass. Nd4j's per-operation overhead and its matrix–matrix
 * route for one-row products (which repacks the weights, far below the memory bandwidth) dominate
 * a decode step, so this pass works on Java arrays and the weights' memory directly:
 * <ul>
 * <li>every product with a weight matrix, and the lm_head, goes through one {@link MatrixKernels},
 * chosen once per model ({@link #kernel()}): the matrices stay in their {@link WeightFormat}
 * (float32, float16, bfloat16 or Q8) and the kernels read them in place, accumulating in float32;
 * this class never branches on formats. When the kernels' results for a row do not depend on the
 * other rows, several caches can decode in one pass ({@link #lastLogitsTogether}) and each gets
 * what it gets alone;</li>
 * <li>attention runs in Java over the cache's Java arrays ({@link CacheAttention}), per sequence
 * and head, spread over the cores;</li>
 * <li>LayerNorm, GELU and the residual adds are Java loops over a few thousand floats.</li>
 * </ul>
 * For float32 weights it computes exactly what {@link Nd4jForwardPass} computes (the tests compare
 * them) and only runs on the CPU backend, where the arrays live in host memory.
 */
final class CpuForwardPass implements ForwardPass {

    /** Rows of a LayerNorm per parallel chunk at least: below twice this, one thread does them all. */
    private static final int NORM_ROWS_PER_CHUNK = 32;

    private final AtomicBoolean closed = new AtomicBoolean();
    private final Gpt2Config config;
    private final int c;
    private final int vocab;
    private final float epsilon;
    private final MatrixKernels kernels;
    private final WeightMatrix wte;      // [V, C], also the tied lm_head
    private final float[] wpe;           // [P, C]
    private final Layer[] layers;
    private final float[] lnFGamma;
    private final float[] lnFBeta;

    /** One block's weights: the matrices in their format, Java copies of the vectors. */
    private record Layer(float[] ln1Gamma, float[] ln1Beta, WeightMatrix attnW, float[] attnB,
                         WeightMatrix projW, float[] projB, float[] ln2Gamma, float[] ln2Beta,
                         WeightMatrix fcW, float[] fcB, WeightMatrix fcProjW, float[] fcProjB) {
    }

    CpuForwardPass(Gpt2Weights weights) {
        this.config = weights.config();
        this.c = config.nEmbd();
        this.vocab = config.vocabSize();
        this.epsilon = (float) config.layerNormEpsilon();
        this.wte = weights.matrix("wte.weight");
        this.wpe = weights.vector("wpe.weight");
        this.layers = new Layer[config.nLayer()];
        for (int i = 0; i < layers.length; i++) {
            String h = "h." + i + ".";
            layers[i] = new Layer(weights.vector(h + "ln_1.weight"), weights.vector(h + "ln_1.bias"),
                    weights.matrix(h + "attn.c_attn.weight"), weights.vector(h + "attn.c_attn.bias"),
                    weights.matrix(h + "attn.c_proj.weight"), weights.vector(h + "attn.c_proj.bias"),
                    weights.vector(h + "ln_2.weight"), weights.vector(h + "ln_2.bias"),
                    weights.matrix(h + "mlp.c_fc.weight"), weights.vector(h + "mlp.c_fc.bias"),
                    weights.matrix(h + "mlp.c_proj.weight"), weights.vector(h + "mlp.c_proj.bias"));
        }
        this.lnFGamma = weights.vector("ln_f.weight");
        this.lnFBeta = weights.vector("ln_f.bias");
        this.kernels = MatrixKernels.choose();
        CpuResources.retain();
    }

    /** @return the name of the kernels that compute this pass's products ({@link MatrixKernels#name()}) */
    @Override
    public String kernel() {
        return kernels.name();
    }

    /** The last CPU pass to close empties the pools of recycled memory. */
    @Override
    public void close() {
        if (!closed.getAndSet(true)) {
            CpuResources.release();
        }
    }

    /** Whether this pass can run here: the CPU backend with OpenBLAS's Java bindings present. */
    static boolean isAvailable() {
        try {
            if (!Nd4j.getEnvironment().isCPU()) {
                return false;
            }
            Class.forName("org.bytedeco.openblas.global.openblas");
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public INDArray lastLogits(int[][] ids, KvCache cache) {
        int batch = ids.length;
        int time = ids[0].length;
        CpuScratch decode = decodeScratch(cache, batch);
        if (time == 1) {
            run(ids, cache, decode);
            finalNormAndHead(decode.x, batch, 1, decode, decode.logits);
        } else {
            try (CpuScratch prefill = new CpuScratch(config, batch * time, 0)) {
                run(ids, cache, prefill);
                finalNormAndHead(prefill.x, batch, time, decode, decode.logits);
            }
        }
        return decode.logits;
    }

    @Override
    public INDArray allLogits(int[][] ids, KvCache cache) {
        int rows = ids.length * ids[0].length;
        INDArray logits = Nd4j.create(DataType.FLOAT, rows, vocab);                        // [B*T, V]
        try (CpuScratch all = new CpuScratch(config, rows, 0)) {
            run(ids, cache, all);
            normRows(all.x, rows, lnFGamma, lnFBeta, all);                               // all.rowsC
            kernels.lmHead(wte, all.rowsC, rows, outputs(logits, rows), all);
        }
        return logits;
    }

    /**
     * One decode step of several caches at once: their rows are stacked, so that each weight is
     * read once for all of them; embeddings take each sequence's own position, attention runs per
     * cache at its own length. Each row's arithmetic is the one it gets alone (the kernels are
     * row-count-invariant: {@link MatrixKernels#rowCountInvariant()}), so each cache's logits are
     * the bits {@link #lastLogits} gives it alone. With kernels that are not, alone and together
     * would take different routes, so the caches then run one after the other.
     */
    @Override
    public INDArray[] lastLogitsTogether(int[][] ids, KvCache[] caches) {
        if (!kernels.rowCountInvariant()) {
            return ForwardPass.super.lastLogitsTogether(ids, caches);
        }
        Segment[] segments = new Segment[caches.length];
        int rows = 0;
        for (int i = 0; i < caches.length; i++) {
            segments[i] = new Segment(caches[i], rows, ids[i].length, 1, caches[i].length());
            rows += ids[i].length;
        }
        INDArray[] logits = new INDArray[caches.length];
        long[] outputs = new long[rows];                                  // per row, its cache's logits row
        try (CpuScratch s = new CpuScratch(config, rows, 0)) {
            long t = StepProfile.start(true);
            for (int i = 0; i < caches.length; i++) {
                for (int b = 0; b < ids[i].length; b++) {
                    embedRow(ids[i][b], segments[i].start(), s.x, (segments[i].first() + b) * c);   // row of [rows, C]
                }
            }
            t = StepProfile.add(Section.EMBED, t);
            layers(segments, rows, 1, s, t);
            for (int i = 0; i < caches.length; i++) {
                logits[i] = decodeScratch(caches[i], ids[i].length).logits;                  // [B_i, V]
                System.arraycopy(outputs(logits[i], ids[i].length), 0, outputs, segments[i].first(), ids[i].length);
            }
            finalNormAndHead(s.x, rows, 1, s, outputs);
        }
        return logits;
    }

    /** The rows of one cache within a pass: rows {@code [first, first + batch·time)}, after its {@code start} positions. */
    private record Segment(KvCache cache, int first, int batch, int time, int start) {
    }

    /** The cache's decode scratch (its logits {@code [B, V]} among them), made on first use. */
    private CpuScratch decodeScratch(KvCache cache, int batch) {
        CpuScratch decode = cache.scratch();
        if (decode == null) {
            decode = new CpuScratch(config, batch, batch);
            cache.scratch(decode);
        }
        return decode;
    }

    /** Embeddings and every block for the new positions; leaves the residual stream in {@code s.x}. */
    private void run(int[][] ids, KvCache cache, CpuScratch s) {
        int batch = ids.length;
        int time = ids[0].length;
        int start = cache.length();
        long t = StepProfile.start(time == 1);
        embed(ids, start, s.x);
        t = StepProfile.add(Section.EMBED, t);
        layers(new Segment[] {new Segment(cache, 0, batch, time, start)}, batch * time, time, s, t);
    }

    /**
     * Every block for the {@code rows} positions in {@code s.x} ({@code time} per sequence), the
     * rows of each segment attending over its own cache, which then advances by {@code time}.
     */
    private void layers(Segment[] segments, int rows, int time, CpuScratch s, long t) {
        for (int l = 0; l < layers.length; l++) {
            Layer w = layers[l];
            normRows(s.x, rows, w.ln1Gamma, w.ln1Beta, s);                                      // s.rowsC
            t = StepProfile.add(Section.LAYER_NORM, t);
            kernels.linear(w.attnW, s.rowsC, rows, time, w.attnB, false, s.rowsQkv, s);        // [rows, 3C]
            t = StepProfile.add(Section.QKV_MATMUL, t);
            attend(segments, l, s);                                      // writes the new keys and values; [rows, C]
            t = StepProfile.add(Section.ATTENTION, t);
            kernels.linear(w.projW, s.rowsC, rows, time, w.projB, true, s.x, s);              // x += y·W + b
            t = StepProfile.add(Section.PROJ_MATMUL, t);
            normRows(s.x, rows, w.ln2Gamma, w.ln2Beta, s);
            t = StepProfile.add(Section.LAYER_NORM, t);
            kernels.linear(w.fcW, s.rowsC, rows, time, w.fcB, false, s.rows4C, s);            // [rows, 4C]
            t = StepProfile.add(Section.FC_MATMUL, t);
            float[] activations = s.rows4C;
            ParallelRange.run(rows * 4 * c, 16_384, (from, to) -> FastTanh.gelu(activations, from, to));
            t = StepProfile.add(Section.GELU, t);
            kernels.linear(w.fcProjW, s.rows4C, rows, time, w.fcProjB, true, s.x, s);         // x += h·W + b
            t = StepProfile.add(Section.FC_PROJ_MATMUL, t);
        }
        for (Segment segment : segments) {
            segment.cache().advance(time);
        }
    }

    /**
     * Layer {@code l}'s attention of every segment over its own cache, from {@code s.rowsQkv
     * [rows, 3C]} into {@code s.rowsC [rows, C]}. A segment that does not start at row 0 is
     * copied out to arrays of its own and back: {@link CacheAttention} reads its rows from 0.
     */
    private void attend(Segment[] segments, int l, CpuScratch s) {
        for (Segment segment : segments) {
            KvCache cache = segment.cache();
            int rows = segment.batch() * segment.time();
            if (segment.first() == 0) {
                CacheAttention.attend(s.rowsQkv, cache.heapKeys(l), cache.heapValues(l), config, segment.batch(),
                        segment.time(), segment.start(), cache.capacity(), s.rowsC);
                continue;
            }
            float[] qkv = FloatArrayPool.SHARED.take(rows * 3 * c);                          // [rows_i, 3C]
            float[] out = FloatArrayPool.SHARED.take(rows * c);                              // [rows_i, C]
            System.arraycopy(s.rowsQkv, segment.first() * 3 * c, qkv, 0, rows * 3 * c);
            CacheAttention.attend(qkv, cache.heapKeys(l), cache.heapValues(l), config, segment.batch(),
                    segment.time(), segment.start(), cache.capacity(), out);
            System.arraycopy(out, 0, s.rowsC, segment.first() * c, rows * c);
            FloatArrayPool.SHARED.give(qkv);
            FloatArrayPool.SHARED.give(out);
        }
    }

    /** {@code x[b*T+t] = wte[ids[b][t]] + wpe[start+t]}. */
    private void embed(int[][] ids, int start, float[] x) {
        int time = ids[0].length;
        for (int b = 0; b < ids.length; b++) {
            for (int t = 0; t < time; t++) {
                embedRow(ids[b][t], start + t, x, (b * time + t) * c);
            }
        }
    }

    /** {@code x[row, row + C) = wte[id] + wpe[position]}. */
    private void embedRow(int id, int position, float[] x, int row) {
        kernels.widen(wte, id, id + 1, x, row);
        int p = position * c;
        for (int i = 0; i < c; i++) {
            x[row + i] += wpe[p + i];
        }
    }

    /**
     * LayerNorm of every row of the residual stream into {@code s.rowsC}; a prompt's rows spread over the cores (a long prompt's
     * LayerNorms are a visible share of its pass on one thread), a decode step's few on this thread.
     */
    private void normRows(float[] x, int rows, float[] gamma, float[] beta, CpuScratch s) {
        float[] out = s.rowsC;
        ParallelRange.run(rows, NORM_ROWS_PER_CHUNK, (from, to) -> {
            for (int r = from; r < to; r++) {
                layerNorm(x, r * c, gamma, beta, out, r * c);
            }
        });
    }

    /** {@code out = (x - mean) / sqrt(var + eps) * gamma + beta} over one row, variance biased. */
    private void layerNorm(float[] x, int from, float[] gamma, float[] beta, float[] out, int to) {
        double sum = 0;
        for (int i = 0; i < c; i++) {
            sum += x[from + i];
        }
        float mean = (float) (sum / c);
        double squares = 0;
        for (int i = 0; i < c; i++) {
            float d = x[from + i] - mean;
            squares += d * d;
        }
        float invStd = (float) (1.0 / Math.sqrt(squares / c + epsilon));
        for (int i = 0; i < c; i++) {
            out[to + i] = (x[from + i] - mean) * invStd * gamma[i] + beta[i];
        }
    }

    /** Final LayerNorm of each sequence's last new position, then the tied lm_head into {@code logits [B, V]}. */
    private void finalNormAndHead(float[] x, int batch, int time, CpuScratch s, INDArray logits) {
        finalNormAndHead(x, batch, time, s, outputs(logits, batch));
    }

    /**
     * Final LayerNorm and lm_head, each row's {@code V} logits written at its own address
     * {@code outputs[b]}.
     */
    private void finalNormAndHead(float[] x, int batch, int time, CpuScratch s, long[] outputs) {
        finalNorm(x, batch, time, s);
        long t = StepProfile.start(time == 1);
        kernels.lmHead(wte, s.rowsC, batch, outputs, s);
        StepProfile.add(Section.LM_HEAD, t);
        StepProfile.step(time == 1);
    }

    /** Final LayerNorm of each sequence's last new position of {@code x [B*T, C]} into {@code s.rowsC [B, C]}. */
    private void finalNorm(float[] x, int batch, int time, CpuScratch s) {
        for (int b = 0; b < batch; b++) {
            layerNorm(x, (b * time + time - 1) * c, lnFGamma, lnFBeta, s.rowsC, b * c);
        }
    }

    /** The addresses of the first {@code rows} rows of {@code logits [rows…, V]}. */
    private long[] outputs(INDArray logits, int rows) {
        long base = logits.data().address();
        long[] outputs = new long[rows];
        for (int r = 0; r < rows; r++) {
            outputs[r] = base + (long) r * vocab * Float.BYTES;
        }
        return outputs;
    }
}
