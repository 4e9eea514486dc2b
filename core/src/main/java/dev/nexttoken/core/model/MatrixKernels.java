package dev.nexttoken.core.model;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * The products of {@link CpuForwardPass} with weight matrices in any {@link WeightFormat}: the
 * only place that knows about formats, so the forward pass does not branch on them. Chosen once
 * per model by {@link #choose}, with a {@link #name()} the model reports:
 * <ul>
 * <li>{@link Native} ({@code "native avx512-vnni"}, {@code "native avx512"}, {@code "native avx2"}):
 * {@link NativeKernels} reads every format in place, accumulating in float32 (Q8 on
 * {@code avx512-vnni}: in integers on 8-bit rows of x), for decode steps (1–16 rows at a time),
 * the lm_head and prompts; a decode step's results for a row do not depend on the other rows;</li>
 * <li>{@link Java} ({@code "java"}), on any platform without the native library: float32 on the
 * routes measured fastest before (OpenBLAS {@code sgemv}/{@code sgemm}, {@link VectorGemm},
 * {@link VectorLmHead}; see docs/PERFORMANCE.md), the 16- and 8-bit formats by Java loops that
 * widen one row of weights at a time.</li>
 * </ul>
 * Products of many rows (a prompt, {@link #prompt}): {@link Native} runs the native GEMM on
 * every format in place; {@link Java} sends a float32 matrix to {@link VectorGemm} (AVX-512, 8
 * rows and more) or {@code sgemm}, and widens another format first into a float32 buffer of the
 * pass's scratch (one matrix at a time, at most {@code 4·C²} floats).
 */
interface MatrixKernels {

    /** Rows per call of {@link #decode} and {@link #dots}. */
    int MAX_ROWS = NativeKernels.MAX_ROWS;

    /** @return what runs the products, as reported by {@link Gpt2Model#kernel()} */
    String name();

    /** @return whether a row's results are the same bits whatever other rows share a call (then several caches may decode together) */
    boolean rowCountInvariant();

    /**
     * {@code y[yOff + r·n, +n) = (accumulate ? y : 0) + x[xOff + r·k, +k) · W + bias} for
     * {@code r < rows}, rows 1 to {@link #MAX_ROWS}: a decode step.
     */
    void decode(WeightMatrix w, float[] x, int xOff, int rows, float[] bias, boolean accumulate, float[] y, int yOff,
                CpuScratch s);

    /**
     * The lm_head of 1 to {@link #MAX_ROWS} rows: {@code out_r[v] = wte[v, ·] · x[xOff + r·C, +C)}
     * into the {@code V} floats at address {@code outputs[r]}.
     */
    void dots(WeightMatrix wte, float[] x, int xOff, int rows, long[] outputs, CpuScratch s);

    /** Rows {@code [r0, r1)} of {@code w} as float32 into {@code out} from {@code off}: embedding lookups. */
    void widen(WeightMatrix w, long r0, long r1, float[] out, int off);

    /** All of {@code w} as float32 into native memory at {@code out}. */
    void widen(WeightMatrix w, long out);

    /**
     * {@code y [rows, n] = (accumulate ? y : 0) + x [rows, k] · W + bias} for a pass of
     * {@code rows} positions, {@code time} per sequence: a decode step (one position per
     * sequence, or one row) in blocks of {@link #MAX_ROWS} by {@link #decode}, anything else as a
     * prompt (see the class description).
     */
    default void linear(WeightMatrix w, float[] x, int rows, int time, float[] bias, boolean accumulate, float[] y,
                        CpuScratch s) {
        int k = w.rows();
        int n = w.cols();
        if (rows == 1 || time == 1) {
            for (int r = 0; r < rows; r += MAX_ROWS) {
                decode(w, x, r * k, Math.min(MAX_ROWS, rows - r), bias, accumulate, y, r * n, s);
            }
            return;
        }
        prompt(w, x, rows, bias, accumulate, y, s);
    }

    /**
     * {@code y = (accumulate ? y : 0) + x [rows, k] · W + bias} for a prompt's rows (more than one
     * position per sequence): a float32 {@code W} by {@link VectorGemm} (AVX-512, 8 rows and more)
     * or {@code sgemm}; another format widened first into a float32 buffer of the scratch.
     */
    default void prompt(WeightMatrix w, float[] x, int rows, float[] bias, boolean accumulate, float[] y,
                        CpuScratch s) {
        int k = w.rows();
        int n = w.cols();
        if (w.format() == WeightFormat.F32) {
            promptF32(w.address(), w.bytes(), k, n, x, rows, bias, accumulate, y, s);
        } else {
            INDArray buffer = s.widened((long) k * n);
            long address = buffer.data().address();
            widen(w, address);
            promptF32(address, VectorMatmulSupport.bytes(buffer), k, n, x, rows, bias, accumulate, y, s);
        }
    }

    /**
     * The lm_head of {@code rows} rows of {@code x [rows, C]}, row {@code r}'s {@code V} logits at
     * address {@code outputs[r]}: a float32 {@code wte} with more than {@link #MAX_ROWS} rows
     * written contiguously is one {@code sgemm}; anything else goes by {@link #dots} in blocks.
     */
    default void lmHead(WeightMatrix wte, float[] x, int rows, long[] outputs, CpuScratch s) {
        int c = wte.cols();
        int vocab = wte.rows();
        if (rows > MAX_ROWS && wte.format() == WeightFormat.F32 && contiguous(outputs, rows, vocab)) {
            FloatPointer in = s.blasIn((long) rows * c);
            in.put(x, 0, rows * c);
            openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, rows, vocab, c,
                    1f, in, c, pointer(wte.address()), c, 0f, pointer(outputs[0]), vocab);
            return;
        }
        for (int r = 0; r < rows; r += MAX_ROWS) {
            int block = Math.min(MAX_ROWS, rows - r);
            long[] out = new long[block];
            System.arraycopy(outputs, r, out, 0, block);
            dots(wte, x, r * c, block, out, s);
        }
    }

    /**
     * The kernels of this JVM: {@link Native} when {@link NativeKernels} is available (it runs every
     * format), else {@link Java}.
     */
    static MatrixKernels choose() {
        if (NativeKernels.isAvailable()) {
            return new Native();
        }
        return new Java();
    }

    // ------------------------------------------------------------------------------------------
    // Shared float32 routes

    /**
     * A prompt's product with a float32 {@code W [k, n]} at {@code address} (also as
     * {@code bytes}): {@link VectorGemm} with AVX-512 for 8 rows and more, ahead of {@code sgemm};
     * with AVX2 prompts stay on {@code sgemm}, which was slightly ahead there.
     */
    private static void promptF32(long address, ByteBuffer bytes, int k, int n, float[] x, int rows, float[] bias,
                                  boolean accumulate, float[] y, CpuScratch s) {
        if (VectorMatmulSupport.isAvailable() && rows >= 8 && VectorGemm.lanes() >= 16) {
            VectorGemm.linear(x, 0, rows, k, bytes, n, bias, accumulate, y, 0);
        } else {
            blas(address, k, n, x, 0, rows, bias, accumulate, y, 0, s);
        }
    }

    /**
     * {@code y (+)= x · W + b} by OpenBLAS through the scratch's native buffers: {@code sgemv} for
     * one row, {@code sgemm} otherwise, the bias pre-loaded ({@code beta = 1}) and the result
     * added to {@code y} afterwards when accumulating (as the pass always did).
     */
    static void blas(long w, int k, int n, float[] x, int xOff, int rows, float[] bias, boolean accumulate,
                     float[] y, int yOff, CpuScratch s) {
        FloatPointer in = s.blasIn((long) rows * k);
        FloatPointer out = s.blasOut((long) rows * n);
        in.put(x, xOff, rows * k);
        for (int r = 0; r < rows; r++) {
            if (bias != null) {
                new FloatPointer(out).position((long) r * n).put(bias, 0, n);
            } else {
                new FloatPointer(out).position((long) r * n).put(new float[n], 0, n);
            }
        }
        FloatPointer weights = pointer(w);
        if (rows == 1) {
            openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasTrans, k, n, 1f, weights, n, in, 1, 1f, out, 1);
        } else {
            openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, rows, n, k, 1f,
                    in, k, weights, n, 1f, out, n);
        }
        if (accumulate) {
            float[] tmp = FloatArrayPool.SHARED.take(rows * n);
            out.get(tmp, 0, rows * n);
            for (int i = 0; i < rows * n; i++) {
                y[yOff + i] += tmp[i];
            }
            FloatArrayPool.SHARED.give(tmp);
        } else {
            out.get(y, yOff, rows * n);
        }
    }

    /**
     * That {@code y[rows, n] = x[rows, k] · W} fits its arrays, {@code W}'s rows {@code ldw} apart
     * from {@code wOff}: the check of {@link VectorGemm#multiply} and {@link NativeKernels#multiply}.
     *
     * @throws IllegalArgumentException when a shape is out of range or an array is too short
     */
    static void checkProduct(float[] x, int xOff, int rows, int k, float[] w, int wOff, int ldw, int n, float[] y,
                             int yOff) {
        if (rows < 1 || k < 1 || n < 1 || ldw < n || wOff < 0 || (long) wOff + (long) (k - 1) * ldw + n > w.length
                || xOff < 0 || (long) xOff + (long) rows * k > x.length
                || yOff < 0 || (long) yOff + (long) rows * n > y.length) {
            throw new IllegalArgumentException("bad product: rows=" + rows + " k=" + k + " n=" + n + " ldw=" + ldw
                    + " (x " + x.length + ", w " + w.length + " from " + wOff + ", y " + y.length + " floats)");
        }
    }

    /** A float pointer at an address. */
    private static FloatPointer pointer(long address) {
        return new FloatPointer(WeightMatrix.floatsAt(address, 1));
    }

    /** Whether the rows' outputs follow each other in memory. */
    private static boolean contiguous(long[] outputs, int rows, int vocab) {
        for (int r = 1; r < rows; r++) {
            if (outputs[r] != outputs[0] + (long) r * vocab * Float.BYTES) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------
    // The two implementations

    /** {@link NativeKernels} for every product of a decode step and the lm_head, every format in place. */
    final class Native implements MatrixKernels {

        @Override
        public String name() {
            return "native " + NativeKernels.variant();
        }

        @Override
        public boolean rowCountInvariant() {
            return true;
        }

        @Override
        public void decode(WeightMatrix w, float[] x, int xOff, int rows, float[] bias, boolean accumulate, float[] y,
                           int yOff, CpuScratch s) {
            NativeKernels.linear(w.format(), w.address(), w.scalesAddress(), x, xOff, rows, w.rows(), w.cols(), bias,
                    accumulate, y, yOff);
        }

        /** Every format in place by the native GEMM: no widened copy, and faster than {@link VectorGemm} on float32 too. */
        @Override
        public void prompt(WeightMatrix w, float[] x, int rows, float[] bias, boolean accumulate, float[] y,
                           CpuScratch s) {
            NativeKernels.gemm(w.format(), w.address(), w.scalesAddress(), x, 0, rows, w.rows(), w.cols(), bias,
                    accumulate, y, 0);
        }

        @Override
        public void dots(WeightMatrix wte, float[] x, int xOff, int rows, long[] outputs, CpuScratch s) {
            NativeKernels.dots(wte.format(), wte.address(), wte.scalesAddress(), x, xOff, rows, wte.cols(), wte.rows(),
                    outputs);
        }

        @Override
        public void widen(WeightMatrix w, long r0, long r1, float[] out, int off) {
            NativeKernels.widen(w.format(), w.address(), w.scalesAddress(), w.cols(), r0, r1, out, off);
        }

        @Override
        public void widen(WeightMatrix w, long out) {
            NativeKernels.widen(w.format(), w.address(), w.scalesAddress(), w.cols(), 0, w.rows(), out);
        }
    }

    /**
     * The portable kernels: float32 on OpenBLAS and the Vector API as measured fastest; the 16-
     * and 8-bit formats by Java loops over the cores that widen one row of {@code W} at a time
     * (each output summed in the order of {@code W}'s rows, whatever the row count).
     */
    final class Java implements MatrixKernels {

        /** Columns of {@code W} per thread at least in the Java loops. */
        private static final int MIN_COLUMNS = 256;

        @Override
        public String name() {
            return "java";
        }

        @Override
        public boolean rowCountInvariant() {
            return false;
        }

        @Override
        public void decode(WeightMatrix w, float[] x, int xOff, int rows, float[] bias, boolean accumulate, float[] y,
                           int yOff, CpuScratch s) {
            int k = w.rows();
            int n = w.cols();
            if (w.format() == WeightFormat.F32) {
                if (rows > 1 && VectorMatmulSupport.isAvailable()) {
                    VectorGemm.linear(x, xOff, rows, k, w.bytes(), n, bias, accumulate, y, yOff);
                } else {
                    blas(w.address(), k, n, x, xOff, rows, bias, accumulate, y, yOff, s);
                }
                return;
            }
            ParallelRange.run(n, MIN_COLUMNS, (j0, j1) -> {
                int width = j1 - j0;
                float[] row = new float[width];
                float[] sums = new float[rows * width];
                WeightMatrix.RowReader reader = w.reader(width);
                for (int i = 0; i < k; i++) {
                    reader.read(i, j0, j1, row, 0);
                    for (int r = 0; r < rows; r++) {
                        float xi = x[xOff + r * k + i];
                        int base = r * width;
                        for (int j = 0; j < width; j++) {
                            sums[base + j] += xi * row[j];
                        }
                    }
                }
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < width; j++) {
                        float value = sums[r * width + j] + (bias == null ? 0f : bias[j0 + j]);
                        int at = yOff + r * n + j0 + j;
                        y[at] = accumulate ? y[at] + value : value;
                    }
                }
            });
        }

        @Override
        public void dots(WeightMatrix wte, float[] x, int xOff, int rows, long[] outputs, CpuScratch s) {
            int c = wte.cols();
            int vocab = wte.rows();
            if (wte.format() == WeightFormat.F32 && contiguous(outputs, rows, vocab)) {
                if (rows > 1 && VectorMatmulSupport.isAvailable()) {
                    VectorLmHead.lmHead(x, xOff, rows, c, wte.bytes(), vocab,
                            WeightMatrix.floatsAt(outputs[0], (long) rows * vocab), 0);
                    return;
                }
                FloatPointer in = s.blasIn((long) rows * c);
                in.put(x, xOff, rows * c);
                if (rows == 1) {
                    openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, vocab, c, 1f,
                            pointer(wte.address()), c, in, 1, 0f, pointer(outputs[0]), 1);
                } else {
                    openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, rows,
                            vocab, c, 1f, in, c, pointer(wte.address()), c, 0f, pointer(outputs[0]), vocab);
                }
                return;
            }
            FloatBuffer[] out = new FloatBuffer[rows];
            for (int r = 0; r < rows; r++) {
                out[r] = WeightMatrix.floatsAt(outputs[r], vocab);
            }
            ParallelRange.run(vocab, MIN_COLUMNS, (v0, v1) -> {
                float[] row = new float[c];
                WeightMatrix.RowReader reader = wte.reader(c);
                for (int v = v0; v < v1; v++) {
                    reader.read(v, 0, c, row, 0);
                    for (int r = 0; r < rows; r++) {
                        out[r].put(v, dot(x, xOff + r * c, row, c));
                    }
                }
            });
        }

        /** {@code Σ x[xOff + i] · w[i]} over {@code i < c}, in 8 interleaved partial sums (the same order for every row). */
        private static float dot(float[] x, int xOff, float[] w, int c) {
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
            int i = 0;
            for (; i + 8 <= c; i += 8) {
                s0 += x[xOff + i] * w[i];
                s1 += x[xOff + i + 1] * w[i + 1];
                s2 += x[xOff + i + 2] * w[i + 2];
                s3 += x[xOff + i + 3] * w[i + 3];
                s4 += x[xOff + i + 4] * w[i + 4];
                s5 += x[xOff + i + 5] * w[i + 5];
                s6 += x[xOff + i + 6] * w[i + 6];
                s7 += x[xOff + i + 7] * w[i + 7];
            }
            for (; i < c; i++) {
                s0 += x[xOff + i] * w[i];
            }
            return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }

        @Override
        public void widen(WeightMatrix w, long r0, long r1, float[] out, int off) {
            w.widen(r0, r1, out, off);
        }

        @Override
        public void widen(WeightMatrix w, long out) {
            w.widen(0, w.rows(), out);
        }
    }
}
