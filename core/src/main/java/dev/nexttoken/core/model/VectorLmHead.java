package dev.nexttoken.core.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The tied lm_head for a small batch of rows (decode with {@code B = 2…16} samples), written with
 * the Vector API ({@code jdk.incubator.vector}): {@code logits[B, V] = X[B, C] · wteᵀ}, {@code wte}
 * row-major {@code [V, C]} (the tied embedding, read where it is, without a transposed copy).
 *
 * <p>Why: one row is OpenBLAS's {@code sgemv}, but for several rows {@code sgemm} packs and re-reads
 * the 154 MB matrix; here every row of {@code wte} is read from memory once per call and applied to
 * all {@code B} inputs while it is in the L1 cache.
 *
 * <p>How: the vocabulary is split over the cores ({@link ParallelRange}); each thread copies a
 * panel of whole {@code wte} rows (contiguous: 64 KB) into a Java array with one bulk copy, then
 * computes the dot products of two rows × (8 or 4, 1) inputs at a time from that panel, each sum
 * reduced once at the end. A vector load straight from the native buffer ({@code fromByteBuffer})
 * costs the load plus a run of checks around it on Java 17, so the bulk copy wins. Inputs, outputs and
 * panels are Java arrays; no vector is ever passed to a method the JIT might not inline (it would
 * be boxed, i.e. allocated). Results agree with a plain loop up to float summation order.
 *
 * <p>This class imports the incubating Vector API: use it only after
 * {@link VectorMatmulSupport#isAvailable()} said yes (the JVM needs
 * {@code --add-modules jdk.incubator.vector}).
 */
final class VectorLmHead {

    /** The largest batch this kernel is meant for; above it a GEMM ({@code sgemm}) is faster. */
    static final int MAX_ROWS = 16;

    /** The widest vector shape the CPU runs well: 16 floats with AVX-512, 8 with AVX2. */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    private static final int L = S.length();
    /**
     * Rows per register tile: 8 when vectors have 16 floats (AVX-512 has 32 vector registers: 16
     * accumulators fit), else 4 (AVX2 has 16). Every weight load feeds this many FMAs.
     */
    private static final int ROW_GROUP = L >= 16 ? 8 : 4;
    /**
     * Floats in a chunk's panel of {@code wte} rows for {@link #lmHead} (64 KB: 20 rows of GPT-2
     * small, 10 of gpt2-xl): fits the L2 cache with room to spare.
     */
    private static final int PANEL_FLOATS = 16 * 1024;
    /** Panels, one per chunk in flight, reused from call to call. */
    private static final ScratchPool<float[]> PANEL = new ScratchPool<>(() -> new float[PANEL_FLOATS]);
    /** Vocabulary rows per parallel chunk of {@link #lmHead} at least. */
    private static final int HEAD_MIN_CHUNK = 256;
    /** Lane sum for the dot products' final reduction. */
    private static final VectorOperators.Associative ADD = VectorOperators.ADD;
    /** Arrays in native memory are in the platform's byte order (little-endian on x86 and ARM). */
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorLmHead() {
    }

    /**
     * {@code logits[r, v] = x[r, :] · wte[v, :]} for {@code r < rows}, {@code v < vocab}: the tied
     * lm_head, one dot product per vocabulary row and input row.
     *
     * @param x         the inputs, row {@code r} at {@code x[xOff + r*c …)}
     * @param xOff      offset of row 0 in {@code x}
     * @param rows      rows of the batch ({@code B}, at least 1; best at most {@link #MAX_ROWS})
     * @param c         embedding width
     * @param wte       {@code wte [vocab, c]} row-major as floats in native byte order from byte 0
     *                  (its position, limit beyond {@code vocab*c*4} bytes and byte order are
     *                  ignored), at most 2 GB
     * @param vocab     vocabulary rows
     * @param logits    the outputs, {@code logits[r, v]} at index {@code logitsOff + r*vocab + v}
     *                  (absolute puts: its position is ignored and kept)
     * @param logitsOff index of {@code logits[0, 0]}
     */
    static void lmHead(float[] x, int xOff, int rows, int c, ByteBuffer wte, int vocab,
                       FloatBuffer logits, int logitsOff) {
        VectorMatmulSupport.checkShapes(x, xOff, rows, c, wte, vocab, null, 0);
        if (logitsOff < 0 || (long) logitsOff + (long) rows * vocab > logits.limit()) {
            throw new IllegalArgumentException("logits has " + logits.limit() + " floats, needs "
                    + ((long) logitsOff + (long) rows * vocab));
        }
        ParallelRange.run(vocab, HEAD_MIN_CHUNK, (from, to) -> headRows(x, xOff, rows, c,
                floats(wte, (long) vocab * c), logits, logitsOff, vocab, from, to));
    }

    /** {@link #lmHead} for the vocabulary rows {@code [v0, v1)}, a panel of whole rows at a time. */
    private static void headRows(float[] x, int xOff, int rows, int c, FloatBuffer wte, FloatBuffer logits,
                                 int logitsOff, int vocab, int v0, int v1) {
        int vb = Math.max(2, PANEL_FLOATS / c / 2 * 2);    // an even number of vocabulary rows
        float[] pooled = PANEL.take();
        float[] panel = pooled.length >= vb * c ? pooled : new float[vb * c];   // c > 8192: a wider one for this call
        for (int p0 = v0; p0 < v1; p0 += vb) {
            int count = Math.min(vb, v1 - p0);
            wte.get(p0 * c, panel, 0, count * c);        // contiguous rows: one bulk copy
            headPanel(x, xOff, rows, c, panel, count, logits, logitsOff + p0, vocab);
        }
        PANEL.give(pooled);
    }

    /**
     * The logits of {@code count} vocabulary rows held in {@code panel}: two rows at a time against
     * groups of 8 (or 4), then 1, inputs; each row is re-read from L1 by every group.
     */
    private static void headPanel(float[] x, int xOff, int rows, int c, float[] panel, int count,
                                  FloatBuffer logits, int out, int vocab) {
        int v = 0;
        for (; v + 2 <= count; v += 2) {
            int r = 0;
            if (ROW_GROUP == 8) {
                for (; r + 8 <= rows; r += 8) {
                    dot2x8(x, xOff + r * c, c, panel, v * c, logits, out + r * vocab + v, vocab);
                }
            }
            for (; r + 4 <= rows; r += 4) {
                dot2x4(x, xOff + r * c, c, panel, v * c, logits, out + r * vocab + v, vocab);
            }
            for (; r < rows; r++) {
                dot2x1(x, xOff + r * c, c, panel, v * c, logits, out + r * vocab + v);
            }
        }
        if (v < count) {
            for (int r = 0; r < rows; r++) {
                logits.put(out + r * vocab + v, dot(x, xOff + r * c, panel, v * c, c));
            }
        }
    }

    /**
     * Two vocabulary rows against eight inputs (AVX-512 only): sixteen accumulators; per vector of
     * {@code c} two weight and eight input loads, sixteen FMAs; each sum reduced once at the end.
     *
     * @param x0  index of input 0 in {@code x}; inputs are {@code c} apart
     * @param w0  index of the first vocabulary row in {@code w}; the second follows it
     * @param out index of {@code logits[input 0, first row]}; inputs are {@code vocab} apart
     */
    private static void dot2x8(float[] x, int x0, int c, float[] w, int w0, FloatBuffer logits, int out, int vocab) {
        FloatVector p0 = FloatVector.zero(S);
        FloatVector p1 = FloatVector.zero(S);
        FloatVector p2 = FloatVector.zero(S);
        FloatVector p3 = FloatVector.zero(S);
        FloatVector p4 = FloatVector.zero(S);
        FloatVector p5 = FloatVector.zero(S);
        FloatVector p6 = FloatVector.zero(S);
        FloatVector p7 = FloatVector.zero(S);
        FloatVector q0 = FloatVector.zero(S);
        FloatVector q1 = FloatVector.zero(S);
        FloatVector q2 = FloatVector.zero(S);
        FloatVector q3 = FloatVector.zero(S);
        FloatVector q4 = FloatVector.zero(S);
        FloatVector q5 = FloatVector.zero(S);
        FloatVector q6 = FloatVector.zero(S);
        FloatVector q7 = FloatVector.zero(S);
        int w1 = w0 + c;
        int vectorEnd = c / L * L;
        for (int i = 0; i < vectorEnd; i += L) {
            FloatVector u = FloatVector.fromArray(S, w, w0 + i);
            FloatVector v = FloatVector.fromArray(S, w, w1 + i);
            FloatVector in = FloatVector.fromArray(S, x, x0 + i);
            p0 = u.fma(in, p0);
            q0 = v.fma(in, q0);
            in = FloatVector.fromArray(S, x, x0 + c + i);
            p1 = u.fma(in, p1);
            q1 = v.fma(in, q1);
            in = FloatVector.fromArray(S, x, x0 + 2 * c + i);
            p2 = u.fma(in, p2);
            q2 = v.fma(in, q2);
            in = FloatVector.fromArray(S, x, x0 + 3 * c + i);
            p3 = u.fma(in, p3);
            q3 = v.fma(in, q3);
            in = FloatVector.fromArray(S, x, x0 + 4 * c + i);
            p4 = u.fma(in, p4);
            q4 = v.fma(in, q4);
            in = FloatVector.fromArray(S, x, x0 + 5 * c + i);
            p5 = u.fma(in, p5);
            q5 = v.fma(in, q5);
            in = FloatVector.fromArray(S, x, x0 + 6 * c + i);
            p6 = u.fma(in, p6);
            q6 = v.fma(in, q6);
            in = FloatVector.fromArray(S, x, x0 + 7 * c + i);
            p7 = u.fma(in, p7);
            q7 = v.fma(in, q7);
        }
        store2(logits, out, p0.reduceLanes(ADD), q0.reduceLanes(ADD), x, x0, w, w0, w1, vectorEnd, c);
        store2(logits, out + vocab, p1.reduceLanes(ADD), q1.reduceLanes(ADD), x, x0 + c, w, w0, w1, vectorEnd, c);
        store2(logits, out + 2 * vocab, p2.reduceLanes(ADD), q2.reduceLanes(ADD),
                x, x0 + 2 * c, w, w0, w1, vectorEnd, c);
        store2(logits, out + 3 * vocab, p3.reduceLanes(ADD), q3.reduceLanes(ADD),
                x, x0 + 3 * c, w, w0, w1, vectorEnd, c);
        store2(logits, out + 4 * vocab, p4.reduceLanes(ADD), q4.reduceLanes(ADD),
                x, x0 + 4 * c, w, w0, w1, vectorEnd, c);
        store2(logits, out + 5 * vocab, p5.reduceLanes(ADD), q5.reduceLanes(ADD),
                x, x0 + 5 * c, w, w0, w1, vectorEnd, c);
        store2(logits, out + 6 * vocab, p6.reduceLanes(ADD), q6.reduceLanes(ADD),
                x, x0 + 6 * c, w, w0, w1, vectorEnd, c);
        store2(logits, out + 7 * vocab, p7.reduceLanes(ADD), q7.reduceLanes(ADD),
                x, x0 + 7 * c, w, w0, w1, vectorEnd, c);
    }

    /** Two vocabulary rows against four inputs: {@link #dot2x8} with eight accumulators. */
    private static void dot2x4(float[] x, int x0, int c, float[] w, int w0, FloatBuffer logits, int out, int vocab) {
        FloatVector p0 = FloatVector.zero(S);
        FloatVector p1 = FloatVector.zero(S);
        FloatVector p2 = FloatVector.zero(S);
        FloatVector p3 = FloatVector.zero(S);
        FloatVector q0 = FloatVector.zero(S);
        FloatVector q1 = FloatVector.zero(S);
        FloatVector q2 = FloatVector.zero(S);
        FloatVector q3 = FloatVector.zero(S);
        int w1 = w0 + c;
        int vectorEnd = c / L * L;
        for (int i = 0; i < vectorEnd; i += L) {
            FloatVector u = FloatVector.fromArray(S, w, w0 + i);
            FloatVector v = FloatVector.fromArray(S, w, w1 + i);
            FloatVector in = FloatVector.fromArray(S, x, x0 + i);
            p0 = u.fma(in, p0);
            q0 = v.fma(in, q0);
            in = FloatVector.fromArray(S, x, x0 + c + i);
            p1 = u.fma(in, p1);
            q1 = v.fma(in, q1);
            in = FloatVector.fromArray(S, x, x0 + 2 * c + i);
            p2 = u.fma(in, p2);
            q2 = v.fma(in, q2);
            in = FloatVector.fromArray(S, x, x0 + 3 * c + i);
            p3 = u.fma(in, p3);
            q3 = v.fma(in, q3);
        }
        store2(logits, out, p0.reduceLanes(ADD), q0.reduceLanes(ADD), x, x0, w, w0, w1, vectorEnd, c);
        store2(logits, out + vocab, p1.reduceLanes(ADD), q1.reduceLanes(ADD), x, x0 + c, w, w0, w1, vectorEnd, c);
        store2(logits, out + 2 * vocab, p2.reduceLanes(ADD), q2.reduceLanes(ADD),
                x, x0 + 2 * c, w, w0, w1, vectorEnd, c);
        store2(logits, out + 3 * vocab, p3.reduceLanes(ADD), q3.reduceLanes(ADD),
                x, x0 + 3 * c, w, w0, w1, vectorEnd, c);
    }

    /**
     * Two vocabulary rows against one input, each sum split over two accumulators (even and odd
     * vectors) so that batch 1 does not wait on the FMA latency.
     */
    private static void dot2x1(float[] x, int x0, int c, float[] w, int w0, FloatBuffer logits, int out) {
        FloatVector p0 = FloatVector.zero(S);
        FloatVector p1 = FloatVector.zero(S);
        FloatVector q0 = FloatVector.zero(S);
        FloatVector q1 = FloatVector.zero(S);
        int w1 = w0 + c;
        int vectorEnd = c / L * L;
        int i = 0;
        for (; i + 2 * L <= vectorEnd; i += 2 * L) {
            FloatVector in = FloatVector.fromArray(S, x, x0 + i);
            p0 = FloatVector.fromArray(S, w, w0 + i).fma(in, p0);
            q0 = FloatVector.fromArray(S, w, w1 + i).fma(in, q0);
            in = FloatVector.fromArray(S, x, x0 + i + L);
            p1 = FloatVector.fromArray(S, w, w0 + i + L).fma(in, p1);
            q1 = FloatVector.fromArray(S, w, w1 + i + L).fma(in, q1);
        }
        if (i < vectorEnd) {
            FloatVector in = FloatVector.fromArray(S, x, x0 + i);
            p0 = FloatVector.fromArray(S, w, w0 + i).fma(in, p0);
            q0 = FloatVector.fromArray(S, w, w1 + i).fma(in, q0);
        }
        store2(logits, out, p0.add(p1).reduceLanes(ADD), q0.add(q1).reduceLanes(ADD), x, x0, w, w0, w1, vectorEnd, c);
    }

    /**
     * Stores {@code logits[out] = first + tail of row w0} and {@code logits[out + 1] = second +
     * tail of row w1}, the tail being the last {@code c % L} products, which do not fill a vector.
     * It takes the lane sums as floats: a vector passed to a method the JIT does not inline would
     * be boxed.
     */
    private static void store2(FloatBuffer logits, int out, float first, float second, float[] x, int x0,
                               float[] w, int w0, int w1, int vectorEnd, int c) {
        for (int i = vectorEnd; i < c; i++) {
            first += x[x0 + i] * w[w0 + i];
            second += x[x0 + i] * w[w1 + i];
        }
        logits.put(out, first);
        logits.put(out + 1, second);
    }

    /** One vocabulary row against one input: the odd last row of a panel. */
    private static float dot(float[] x, int x0, float[] w, int w0, int c) {
        FloatVector a = FloatVector.zero(S);
        int vectorEnd = c / L * L;
        for (int i = 0; i < vectorEnd; i += L) {
            a = FloatVector.fromArray(S, w, w0 + i).fma(FloatVector.fromArray(S, x, x0 + i), a);
        }
        float sum = a.reduceLanes(ADD);
        for (int i = vectorEnd; i < c; i++) {
            sum += x[x0 + i] * w[w0 + i];
        }
        return sum;
    }

    /**
     * A native-order float view of the first {@code length} floats of {@code bytes}, for the bulk
     * copies into a panel (a new buffer object: the caller's position and limit are not touched).
     */
    private static FloatBuffer floats(ByteBuffer bytes, long length) {
        return bytes.duplicate().clear().limit((int) (length * Float.BYTES)).slice().order(ORDER).asFloatBuffer();
    }
}
