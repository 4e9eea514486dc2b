package dev.nexttoken.core.model;

import org.bytedeco.javacpp.FloatPointer;
import dev.nexttoken.core.model.StepProfile.Section;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The CPU fast path of the forward pass. Nd4j's per-operation overhead and its matrix–matrix
 * route for one-row products (which repacks the weights, far below the memory bandwidth) dominate
 * a decode step, so this pass calls OpenBLAS directly on the arrays' memory:
 * <ul>
 * <li>the weight products of a decode step run on {@link NativeKernels} where it is available (in
 * blocks of up to 16 rows), and so does its lm_head; its results for a row do not depend on the
 * other rows, so several caches can decode in one pass ({@link #lastLogitsTogether}) and each get
 * what it gets alone; otherwise one row is one {@code sgemv}, with the bias pre-loaded into the output
 * ({@code beta = 1}); products of several rows (a decode batch; a prompt of 8 rows or more with
 * AVX-512) run on the Java Vector API's {@link VectorGemm} when the module is present
 * ({@code --add-modules jdk.incubator.vector}), else on {@code sgemm} (see {@link #productsFor});</li>
 * <li>attention runs in Java over the cache's Java arrays ({@link CacheAttention}), per sequence
 * and head, spread over the cores;</li>
 * <li>LayerNorm, GELU and the residual adds are Java loops over a few thousand floats, copied in
 * and out of native memory in bulk.</li>
 * </ul>
 * It computes exactly what {@link Nd4jForwardPass} computes (the tests compare them) and only
 * runs on the CPU backend, where the arrays live in host memory.
 */
final class CpuForwardPass implements ForwardPass {

    private static final int ROW_MAJOR = openblas.CblasRowMajor;
    private static final int NO_TRANS = openblas.CblasNoTrans;
    private static final int TRANS = openblas.CblasTrans;
    /** Rows of a LayerNorm per parallel chunk at least: below twice this, one thread does them all. */
    private static final int NORM_ROWS_PER_CHUNK = 32;

    private final AtomicBoolean closed = new AtomicBoolean();
    private final Gpt2Config config;
    private final int c;
    private final int vocab;
    private final float epsilon;
    private final FloatPointer wte;      // [V, C]
    private final FloatPointer wpe;      // [P, C]
    private final Layer[] layers;
    private final float[] lnFGamma;
    private final float[] lnFBeta;
    /** Whether the Vector API kernels may run (see {@link #productsFor}). */
    private final boolean vectors;
    private final ByteBuffer wteBytes;

    /** One block's weights: the matrices in native memory, Java copies of the vectors. */
    private record Layer(float[] ln1Gamma, float[] ln1Beta, Matrix attnW, float[] attnB,
                         Matrix projW, float[] projB, float[] ln2Gamma, float[] ln2Beta,
                         Matrix fcW, float[] fcB, Matrix fcProjW, float[] fcProjB) {
    }

    /**
     * One weight matrix, as a pointer for OpenBLAS and {@link NativeKernels}, and as a byte view for
     * the Vector API kernels ({@code bytes} is null when they cannot run).
     */
    private record Matrix(FloatPointer pointer, ByteBuffer bytes) {
        long address() {
            return CpuForwardPass.address(pointer);
        }
    }

    CpuForwardPass(Gpt2Weights weights) {
        this.config = weights.config();
        this.c = config.nEmbd();
        this.vocab = config.vocabSize();
        this.epsilon = (float) config.layerNormEpsilon();
        this.wte = pointer(weights.wte());
        this.wpe = pointer(weights.wpe());
        this.vectors = VectorMatmulSupport.isAvailable();
        this.wteBytes = vectors ? VectorMatmulSupport.bytes(weights.wte()) : null;
        List<LayerWeights> source = weights.layers();
        this.layers = new Layer[source.size()];
        for (int i = 0; i < layers.length; i++) {
            LayerWeights w = source.get(i);
            layers[i] = new Layer(w.ln1Gamma().toFloatVector(), w.ln1Beta().toFloatVector(),
                    matrix(w.attnW()), w.attnB().toFloatVector(), matrix(w.attnProjW()), w.attnProjB().toFloatVector(),
                    w.ln2Gamma().toFloatVector(), w.ln2Beta().toFloatVector(),
                    matrix(w.fcW()), w.fcB().toFloatVector(), matrix(w.fcProjW()), w.fcProjB().toFloatVector());
        }
        this.lnFGamma = weights.lnFGamma().toFloatVector();
        this.lnFBeta = weights.lnFBeta().toFloatVector();
        CpuResources.retain();
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

    private Matrix matrix(INDArray array) {
        return new Matrix(pointer(array), vectors ? VectorMatmulSupport.bytes(array) : null);
    }

    private static FloatPointer pointer(INDArray array) {
        if (array.dataType() != DataType.FLOAT || array.isView() || array.ordering() != 'c'
                || array.length() != array.data().length()) {
            throw new IllegalArgumentException("the CPU fast path needs contiguous c-order FLOAT weights, not "
                    + array.shapeInfoToString());
        }
        return new FloatPointer(array.data().addressPointer());
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
            normRows(all.x, rows, lnFGamma, lnFBeta, all, true);                         // all.blas().normed
            head(all.blas().normed, rows, new FloatPointer(logits.data().addressPointer()));
        }
        return logits;
    }

    /**
     * One decode step of several caches at once: their rows are stacked, so that each weight is
     * read once for all of them; embeddings take each sequence's own position, attention runs per
     * cache at its own length. Each row's arithmetic is the one it gets alone (the kernels are
     * row-count-invariant: {@link NativeKernels}), so each cache's logits are the bits
     * {@link #lastLogits} gives it alone. Without {@link NativeKernels} (not on this CPU), alone and
     * together would take different kernels, so the caches then run one after the other.
     */
    @Override
    public INDArray[] lastLogitsTogether(int[][] ids, KvCache[] caches) {
        if (!NativeKernels.isAvailable()) {
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
                long base = address(new FloatPointer(logits[i].data().addressPointer()));
                for (int b = 0; b < ids[i].length; b++) {
                    outputs[segments[i].first() + b] = base + (long) b * vocab * Float.BYTES;
                }
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
        Products products = productsFor(rows, time);
        boolean blas = products == Products.BLAS;
        for (int l = 0; l < layers.length; l++) {
            Layer w = layers[l];
            normRows(s.x, rows, w.ln1Gamma, w.ln1Beta, s, blas);              // s.rowsC (and s.blas().normed)
            t = StepProfile.add(Section.LAYER_NORM, t);
            if (blas) {
                linear(s.blas().normed, rows, c, w.attnW.pointer(), w.attnB, 3 * c, s.blas().qkv); // [rows, 3C]
                s.blas().qkv.get(s.rowsQkv, 0, rows * 3 * c);
            } else {
                linear(products, s.rowsC, rows, c, w.attnW, 3 * c, w.attnB, false,
                        s.rowsQkv);                                                                      // [rows, 3C]
            }
            t = StepProfile.add(Section.QKV_MATMUL, t);
            attend(segments, l, s);                                      // writes the new keys and values; [rows, C]
            t = StepProfile.add(Section.ATTENTION, t);
            if (blas) {
                s.blas().attended.put(s.rowsC, 0, rows * c);
                linear(s.blas().attended, rows, c, w.projW.pointer(), w.projB, c, s.blas().projected);
                addInto(s.x, s.blas().projected, rows * c, s.rowsC);
            } else {
                linear(products, s.rowsC, rows, c, w.projW, c, w.projB, true, s.x); // x += y·W + b
            }
            t = StepProfile.add(Section.PROJ_MATMUL, t);
            normRows(s.x, rows, w.ln2Gamma, w.ln2Beta, s, blas);
            t = StepProfile.add(Section.LAYER_NORM, t);
            if (blas) {
                linear(s.blas().normed, rows, c, w.fcW.pointer(), w.fcB, 4 * c, s.blas().hidden); // [rows, 4C]
                s.blas().hidden.get(s.rows4C, 0, rows * 4 * c);
            } else {
                linear(products, s.rowsC, rows, c, w.fcW, 4 * c, w.fcB, false, s.rows4C); // [rows, 4C]
            }
            t = StepProfile.add(Section.FC_MATMUL, t);
            float[] activations = s.rows4C;
            ParallelRange.run(rows * 4 * c, 16_384, (from, to) -> FastTanh.gelu(activations, from, to));
            t = StepProfile.add(Section.GELU, t);
            if (blas) {
                s.blas().hidden.put(s.rows4C, 0, rows * 4 * c);
                linear(s.blas().hidden, rows, 4 * c, w.fcProjW.pointer(), w.fcProjB, c, s.blas().projected);
                addInto(s.x, s.blas().projected, rows * c, s.rowsC);
            } else {
                linear(products, s.rows4C, rows, 4 * c, w.fcProjW, c, w.fcProjB, true, s.x);
            }
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

    /** Which kernel computes a pass's weight products. */
    private enum Products {
        /** OpenBLAS on the scratch's native buffers: {@code sgemv} for one row, else {@code sgemm}. */
        BLAS,
        /** {@link NativeKernels} on the Java arrays: a decode step of 1–16 rows, or a one-token prompt. */
        NATIVE_GEMV,
        /** {@link VectorGemm} on the Java arrays: a decode batch, or a prompt with AVX-512. */
        VECTOR_GEMM
    }

    /**
     * The kernel for the weight products of a pass of {@code rows} positions, {@code time} per
     * sequence: the fastest kernel measured for each case (OpenBLAS runs its AVX2 kernels here; the
     * measurements on GPT-2 small's 48 layer products are in docs/PERFORMANCE.md):
     * <ul>
     * <li>one row: {@link NativeKernels} (AVX-512 loads, more bytes in flight than {@code sgemv}) when
     * it is available; else {@code sgemv}, ahead of the Java kernel, which copies the weights into
     * its panels first;</li>
     * <li>a batch decode step: {@link NativeKernels} when it is available (it reads the weights in
     * place; above {@link NativeKernels#MAX_ROWS} rows, in blocks of that many), whose results for a
     * row do not depend on the other rows, so sequences decoded together get what each gets alone
     * ({@link #lastLogitsTogether}); else {@link VectorGemm}, which reads each weight once for all rows, where
     * {@code sgemm} repacks the matrices; it also beat the row-streaming kernel it replaced, by more
     * with AVX2 than with AVX-512;</li>
     * <li>a prompt of 8 rows and more: {@link VectorGemm} with AVX-512, ahead of {@code sgemm}; with
     * AVX2 (8-float vectors) prompts stay on {@code sgemm}, which was slightly ahead there.</li>
     * </ul>
     */
    private Products productsFor(int rows, int time) {
        if (NativeKernels.isAvailable() && (rows == 1 || time == 1)) {
            return Products.NATIVE_GEMV;
        }
        if (rows == 1) {
            return Products.BLAS;
        }
        if (vectors && (time == 1 || (rows >= 8 && VectorGemm.lanes() >= 16))) {
            return Products.VECTOR_GEMM;
        }
        return Products.BLAS;
    }

    /**
     * {@code out [rows, n] = in [rows, k] · W + b} on the Java arrays, or {@code out +=} that when
     * {@code accumulate} (the residual adds), by {@link NativeKernels} or {@link VectorGemm}.
     */
    private static void linear(Products products, float[] in, int rows, int k, Matrix w, int n, float[] b,
                               boolean accumulate, float[] out) {
        if (products == Products.NATIVE_GEMV) {
            for (int r = 0; r < rows; r += NativeKernels.MAX_ROWS) {
                int block = Math.min(NativeKernels.MAX_ROWS, rows - r);
                NativeKernels.linear(WeightFormat.F32, w.address(), 0, in, r * k, block, k, n, b, accumulate, out, r * n);
            }
        } else {
            VectorGemm.linear(in, 0, rows, k, w.bytes(), n, b, accumulate, out, 0);
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
        float[] wp = new float[c];
        at(wte, (long) id * c).get(x, row, c);
        at(wpe, (long) position * c).get(wp, 0, c);
        for (int i = 0; i < c; i++) {
            x[row + i] += wp[i];
        }
    }

    /**
     * LayerNorm of every row of the residual stream into {@code s.rowsC}, and into the native
     * {@code s.blas().normed} for BLAS; a prompt's rows spread over the cores (a long prompt's
     * LayerNorms are a visible share of its pass on one thread), a decode step's few on this thread.
     */
    private void normRows(float[] x, int rows, float[] gamma, float[] beta, CpuScratch s, boolean forBlas) {
        float[] out = s.rowsC;
        ParallelRange.run(rows, NORM_ROWS_PER_CHUNK, (from, to) -> {
            for (int r = from; r < to; r++) {
                layerNorm(x, r * c, gamma, beta, out, r * c);
            }
        });
        if (forBlas) {
            s.blas().normed.put(s.rowsC, 0, rows * c);
        }
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

    /** {@code x += native}, through the Java buffer {@code tmp}. */
    private static void addInto(float[] x, FloatPointer source, int length, float[] tmp) {
        source.get(tmp, 0, length);
        for (int i = 0; i < length; i++) {
            x[i] += tmp[i];
        }
    }

    /** {@code out [rows, n] = in [rows, k] · W [k, n] + b}: GPT-2's Conv1D layout, bias pre-loaded. */
    private static void linear(FloatPointer in, int rows, int k, FloatPointer w, float[] b, int n, FloatPointer out) {
        for (int r = 0; r < rows; r++) {
            at(out, (long) r * n).put(b, 0, n);
        }
        if (rows == 1) {
            openblas.cblas_sgemv(ROW_MAJOR, TRANS, k, n, 1f, w, n, in, 1, 1f, out, 1);
        } else {
            openblas.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, n, k, 1f, in, k, w, n, 1f, out, n);
        }
    }

    /**
     * Final LayerNorm of each sequence's last new position, then the tied lm_head into {@code
     * logits [B, V]}: by {@link NativeKernels} where it is available, else by {@link VectorLmHead}
     * for 2–16 rows and OpenBLAS otherwise.
     */
    private void finalNormAndHead(float[] x, int batch, int time, CpuScratch s, INDArray logits) {
        long base = address(new FloatPointer(logits.data().addressPointer()));                 // [B, V]
        if (NativeKernels.isAvailable()) {
            long[] outputs = new long[batch];
            for (int b = 0; b < batch; b++) {
                outputs[b] = base + (long) b * vocab * Float.BYTES;
            }
            finalNormAndHead(x, batch, time, s, outputs);
            return;
        }
        finalNorm(x, batch, time, s);
        long t = StepProfile.start(time == 1);
        if (vectors && batch > 1 && batch <= VectorLmHead.MAX_ROWS) {
            VectorLmHead.lmHead(s.rowsC, 0, batch, c, wteBytes, vocab,
                    VectorMatmulSupport.bytes(logits).asFloatBuffer(), 0);
        } else {
            s.blas().normed.put(s.rowsC, 0, batch * c);
            head(s.blas().normed, batch, new FloatPointer(base));
        }
        StepProfile.add(Section.LM_HEAD, t);
        StepProfile.step(time == 1);
    }

    /**
     * Final LayerNorm and lm_head by {@link NativeKernels}, each row's {@code V} logits written at its
     * own address {@code outputs[b]}: one row is {@code dots}, several share each read of
     * {@code wte}, and a row gets the same bits either way.
     */
    private void finalNormAndHead(float[] x, int batch, int time, CpuScratch s, long[] outputs) {
        finalNorm(x, batch, time, s);
        long t = StepProfile.start(time == 1);
        for (int b = 0; b < batch; b += NativeKernels.MAX_ROWS) {
            int block = Math.min(NativeKernels.MAX_ROWS, batch - b);
            NativeKernels.dots(WeightFormat.F32, address(wte), 0, s.rowsC, b * c, block, c, vocab,
                    Arrays.copyOfRange(outputs, b, b + block));
        }
        StepProfile.add(Section.LM_HEAD, t);
        StepProfile.step(time == 1);
    }

    /** Final LayerNorm of each sequence's last new position of {@code x [B*T, C]} into {@code s.rowsC [B, C]}. */
    private void finalNorm(float[] x, int batch, int time, CpuScratch s) {
        for (int b = 0; b < batch; b++) {
            layerNorm(x, (b * time + time - 1) * c, lnFGamma, lnFBeta, s.rowsC, b * c);
        }
    }

    /** {@code logits [rows, V] = x [rows, C] · wteᵀ}, reading {@code wte} in place (no transposed copy). */
    private void head(FloatPointer x, int rows, FloatPointer logits) {
        if (rows == 1) {
            openblas.cblas_sgemv(ROW_MAJOR, NO_TRANS, vocab, c, 1f, wte, c, x, 1, 0f, logits, 1);
        } else {
            openblas.cblas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, rows, vocab, c, 1f, x, c, wte, c, 0f, logits, vocab);
        }
    }

    /** The address of a pointer's first float. */
    private static long address(FloatPointer pointer) {
        return pointer.address() + pointer.position() * Float.BYTES;
    }

    /** A pointer {@code offset} floats past {@code base}. */
    private static FloatPointer at(FloatPointer base, long offset) {
        return new FloatPointer(base).position(base.position() + offset);
    }
}
