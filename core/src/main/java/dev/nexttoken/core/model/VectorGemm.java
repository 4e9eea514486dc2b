package dev.nexttoken.core.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A packed matrix product {@code Y[rows, n] (+)= X[rows, k] · W[k, n] + bias} written with the
 * Vector API ({@code jdk.incubator.vector}), in the GotoBLAS way: blocks of {@code W} are copied
 * into a cache-resident panel, and a micro-kernel keeps a tile of outputs in registers while it
 * streams the panel. It computes the weight products of batch decode steps (2–16 rows) and of
 * prompts (hundreds of rows), in place of OpenBLAS's {@code cblas_sgemm}.
 *
 * <p>Why: the weights are in native memory (a {@link ByteBuffer} over a copy or a mapping), and on Java 17
 * a vector load from native memory ({@code fromByteBuffer}) costs the load plus a run of checks;
 * here the weights are copied into a heap array with bulk copies ({@code FloatBuffer.get(int,
 * float[], int, int)}, a {@code memcpy}) and every kernel load is a plain {@code fromArray}.
 * {@code sgemm} with few rows packs and re-reads the weights far below the memory bandwidth; and
 * OpenBLAS here runs its AVX2 kernels, where with AVX-512 (16 floats per vector, 32 registers) an
 * 8 × 48 register tile does twice the work per instruction.
 *
 * <p>Structure, outermost first:
 * <ol>
 * <li>the work is split over the cores ({@link ParallelRange}): for prompts, the output columns in
 * whole strips of {@link #NR} columns, each thread owning its columns of {@code Y}; for a decode
 * batch (at most {@link #INNER_SPLIT_MAX_ROWS} rows), the rows of {@code W}, each thread adding
 * its share into {@code Y} or into a partial sum that is added at the end (see {@link #innerParts});</li>
 * <li>per chunk, blocks of {@code W} are copied into the chunk's panel (480 KB, sized for a 1 MB
 * L2): {@link #NC} columns × {@link #KC} rows with one bulk copy per row segment, or, split by
 * rows, as many whole rows as fit: one bulk copy for the whole panel when {@code n} is a whole
 * number of strips (GPT-2 small with AVX-512), else one per row, padded to whole strips;</li>
 * <li>for each group of {@link #MR} rows of {@code X} (its {@code MR × KC} inputs stay in L1) the
 * micro-kernel runs over every strip of the panel: an {@code MR × NR} tile of {@code Y} is loaded
 * into registers once per {@code KC} block, gets {@code KC} rank-1 updates (broadcast
 * {@code x[r, i]}, FMA with the strip's row {@code i}), and is stored back. For hundreds of rows the
 * panel is reused by every row group; for a decode batch it is used once (the weights have to be
 * read once anyway).</li>
 * </ol>
 *
 * <p>Panel layout: row-major {@code [KC, NC]} (each row of the block as one contiguous copy), not
 * the classic strip-major layout ({@code NR} columns × {@code KC} rows back to back). Strip-major
 * needs one {@code get} per 48 floats, each call paying its checks and stub overhead on Java 17,
 * and the strips' destinations 48 KB apart alias in L1. It made the copy, and with it the whole
 * product, slower at a decode batch's few rows and still slower at a prompt's hundreds, where the
 * copy is amortized; so the kernel's strided reads of the row-major panel (three cache lines per
 * row, from L2) cost nothing measurable (docs/PERFORMANCE.md has the measurements).
 *
 * <p>Remainders: row groups of 4, 2 and 1 finish rows that do not fill {@link #MR}; the last strip of
 * columns, when {@code n} is not a multiple of {@link #NR}, is zero-padded in the panel and computed
 * into a per-thread {@code rows × NR} edge tile that is copied into {@code Y} at the end. The panel,
 * the edge tile and the partial sums are per-thread arrays reused across calls (no allocation in
 * steady state once they are big enough). Results agree with a plain loop up to float summation order.
 *
 * <p>No vector is passed to or returned from a method, nor stored in a field or array: the JIT would
 * box it (allocate) when the method is not inlined.
 *
 * <p>This class imports the incubating Vector API: use it only after
 * {@link VectorMatmulSupport#isAvailable()} said yes (the JVM needs
 * {@code --add-modules jdk.incubator.vector}).
 */
final class VectorGemm {

    /** The widest vector shape the CPU runs well: 16 floats with AVX-512, 8 with AVX2. */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    private static final int L = S.length();
    /**
     * Columns per strip of the panel, the width of a register tile: three vectors (48 floats with
     * AVX-512, 24 with AVX2). Three weight loads feed {@code 3 × MR} FMAs per row of {@code W}.
     */
    static final int NR = 3 * L;
    /**
     * Rows per register tile: 8 with 16-float vectors (AVX-512 has 32 registers: 24 accumulators,
     * 3 weight vectors and a broadcast), else 4 (AVX2 has 16: 12 + 3 + 1, the shape of OpenBLAS's
     * Haswell kernel; 4 rows × 2 vectors was slower, see docs/PERFORMANCE.md).
     */
    static final int MR = L >= 16 ? 8 : 4;
    /**
     * Rows of {@code W} per panel: the micro-kernel loads and stores its {@code Y} tile once per
     * {@code KC} rank-1 updates, and a row group's inputs ({@code MR × KC} floats, 8 KB) stay in L1.
     * Other sizes, with wider or narrower {@link #NC}, did no better (see docs/PERFORMANCE.md).
     */
    static final int KC = 256;
    /**
     * Columns of {@code W} per panel, whole strips (480 with AVX-512): {@code KC × NC} floats =
     * 480 KB, half of a 1 MB L2, leaving room for the inputs and outputs streaming through it; each
     * row segment copied is 1.9 KB, long enough for the copy to run at memory speed.
     */
    static final int NC = 10 * NR;
    /**
     * Products of at most this many rows (a decode batch: two register tiles) split {@code W}'s rows
     * over the cores rather than its columns (see {@link #innerParts}).
     */
    static final int INNER_SPLIT_MAX_ROWS = 2 * MR;
    /** The fewest rows of {@code W} a panel of whole rows may hold; wider matrices split by columns. */
    static final int MIN_INNER_KC = RowSplit.MIN_PART_ROWS;
    /** Arrays in native memory are in the platform's byte order (little-endian on x86 and ARM). */
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** Scratch arrays, one per chunk in flight, reused from call to call. */
    private static final ScratchPool<Scratch> SCRATCH = new ScratchPool<>(Scratch::new);

    /** A chunk's packed panel of {@code W} and its edge tile of {@code Y}. */
    private static final class Scratch {
        /** {@code KC × NC} floats: a {@code [kc, ldp]} row-major block of {@code W} (see {@link #pack}). */
        final float[] panel = new float[KC * NC];
        /** {@code rows × NR}: the outputs of a partial last strip; grown on demand. */
        float[] edge = new float[MR * NR];
        float[] edgeTile(int rows) {
            if (edge.length < rows * NR) {
                edge = new float[rows * NR];
            }
            return edge;
        }
    }

    private VectorGemm() {
    }

    /** Floats per vector on this machine (16 with AVX-512, 8 with AVX2). */
    static int lanes() {
        return L;
    }

    /**
     * {@code y[r, :] = (accumulate ? y[r, :] : 0) + bias + x[r, :] · W} for {@code r < rows}.
     *
     * @param x          the inputs, row {@code r} at {@code x[xOff + r*k …)}
     * @param xOff       offset of row 0 in {@code x}
     * @param rows       rows of {@code X} and {@code Y} (at least 1)
     * @param k          inner dimension: rows of {@code W}
     * @param w          {@code W [k, n]} row-major as floats in native byte order from byte 0 (its
     *                   position, limit and byte order are ignored and not changed), at most 2 GB
     * @param n          output columns
     * @param bias       {@code [n]} added to every row, or null for none
     * @param accumulate whether to add to {@code y} rather than overwrite it
     * @param y          the outputs, row {@code r} at {@code y[yOff + r*n …)}
     * @param yOff       offset of row 0 in {@code y}
     * @throws IllegalArgumentException for empty or inconsistent shapes
     */
    static void linear(float[] x, int xOff, int rows, int k, ByteBuffer w, int n,
                       float[] bias, boolean accumulate, float[] y, int yOff) {
        VectorMatmulSupport.checkShapes(x, xOff, rows, k, w, n, y, yOff);                // the same checks and messages
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("bias has " + bias.length + " floats, needs " + n);
        }
        // The bytes as floats: a new native-order view over all of w (the caller's buffer is untouched).
        FloatBuffer weights = w.duplicate().clear().order(ORDER).asFloatBuffer();
        int parts = innerParts(rows, k, n);
        if (parts > 1) {
            splitInner(x, xOff, rows, k, weights, n, bias, accumulate, y, yOff, parts);
            return;
        }
        // Threads take contiguous runs of NR-wide strips of columns (only the last may be partial).
        int strips = (n + NR - 1) / NR;
        ParallelRange.run(strips, 1, (from, to) -> block(x, xOff, rows, k, weights, n, n, bias, accumulate,
                y, yOff, 0, k, from * NR, Math.min(n, to * NR), KC, NC));
    }

    /**
     * Into how many runs of {@code W}'s rows a product is split, one per core, or 1 to split its
     * columns instead. A decode batch ({@code rows <= }{@link #INNER_SPLIT_MAX_ROWS}) uses each weight
     * once, so the product is the copy of {@code W} into the panels: split by rows, each thread
     * copies whole rows of {@code W}, a contiguous run of memory (one {@code memcpy} per panel when
     * {@code n} is a whole number of strips), where a split by columns copies one short segment per
     * row ({@code NC} floats, {@code n} apart), and short strided copies run well below the speed
     * of long contiguous ones (docs/PERFORMANCE.md has the measurements). Needs panels of at least
     * {@link #MIN_INNER_KC} whole rows; the parts are {@link RowSplit#parts}.
     */
    private static int innerParts(int rows, int k, int n) {
        if (ParallelRange.threads() < 2 || rows > INNER_SPLIT_MAX_ROWS || paddedWidth(n) * MIN_INNER_KC > KC * NC) {
            return 1;
        }
        return RowSplit.parts(k);
    }

    /** {@code n} rounded up to whole strips: the row stride of a panel of whole rows. */
    private static int paddedWidth(int n) {
        return (n + NR - 1) / NR * NR;
    }

    /**
     * {@link #linear} with {@code W}'s rows split into {@code parts} runs, one per core
     * ({@link RowSplit}): part 0 computes into {@code y} (with its starting value and bias), every
     * other part overwrites a partial sum. The panels hold whole rows: {@code [kc, paddedWidth(n)]}
     * with {@code kc} as many as fit.
     */
    private static void splitInner(float[] x, int xOff, int rows, int k, FloatBuffer weights, int n, float[] bias,
                                   boolean accumulate, float[] y, int yOff, int parts) {
        int ldp = paddedWidth(n);
        int kcMax = KC * NC / ldp;
        RowSplit.run(parts, k, y, yOff, rows * n, (k0, k1, first, out, outOff) -> block(x, xOff, rows, k, weights,
                n, n, first ? bias : null, first && accumulate, out, outOff, k0, k1, 0, n, kcMax, ldp));
    }

    /**
     * {@code y[rows, n] = x[rows, k] · W} on the calling thread, for a {@code W} in a Java array whose
     * rows are {@code ldw} apart: a block of the KV cache ({@link CacheAttention}), e.g. one head's
     * {@code Kᵀ [hs, capacity]} of which the first {@code n} positions are used.
     *
     * @param w    the array holding {@code W}; row {@code i} at {@code w[wOff + i*ldw …)}
     * @param ldw  row stride of {@code W}, at least {@code n}
     */
    static void multiply(float[] x, int xOff, int rows, int k, float[] w, int wOff, int ldw, int n,
                         float[] y, int yOff) {
        MatrixKernels.checkProduct(x, xOff, rows, k, w, wOff, ldw, n, y, yOff);
        FloatBuffer weights = FloatBuffer.wrap(w, wOff, w.length - wOff).slice();   // index 0 = w[wOff]
        block(x, xOff, rows, k, weights, n, ldw, null, false, y, yOff, 0, k, 0, n, KC, NC);
    }

    /**
     * The part of {@link #linear} that rows {@code [k0Start, k1)} of {@code W} add to the output columns
     * {@code [c0, c1)} ({@code c0} a multiple of {@link #NR}), on the calling thread, in panels of at
     * most {@code kcMax} rows × {@code ncMax} columns ({@code kcMax × ncMax ≤ KC × NC}). The outputs
     * start from {@code (accumulate ? y : 0) + bias}.
     */
    private static void block(float[] x, int xOff, int rows, int k, FloatBuffer w, int n, int ldw, float[] bias,
                              boolean accumulate, float[] y, int yOff, int k0Start, int k1, int c0, int c1,
                              int kcMax, int ncMax) {
        Scratch scratch = SCRATCH.take();
        float[] panel = scratch.panel;
        for (int nc0 = c0; nc0 < c1; nc0 += ncMax) {
            int width = Math.min(ncMax, c1 - nc0);
            int full = width / NR;                      // whole strips
            int edge = width - full * NR;               // columns of a partial last strip (only at n)
            int ldp = (full + (edge > 0 ? 1 : 0)) * NR; // panel row stride: whole strips
            float[] edgeTile = null;
            if (edge > 0) {
                // Y[:, nc0 + full*NR …) as a [rows, NR] tile (row stride NR), starting values in
                // the first `edge` columns, zeros in the padding.
                edgeTile = scratch.edgeTile(rows);
                int col = nc0 + full * NR;
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < NR; j++) {
                        float start = j < edge && accumulate ? y[yOff + r * n + col + j] : 0f;
                        edgeTile[r * NR + j] = j < edge && bias != null ? start + bias[col + j] : start;
                    }
                }
            }
            for (int k0 = k0Start; k0 < k1; k0 += kcMax) {
                int kc = Math.min(kcMax, k1 - k0);
                pack(w, ldw, k0, kc, nc0, width, ldp, panel);
                int r = 0;
                while (r < rows) {
                    int mr = tileRows(rows - r);
                    int xRow = xOff + r * k + k0;       // x[r, k0]: the group's rows are k apart
                    for (int s = 0; s < full; s++) {
                        int col = nc0 + s * NR;
                        int yRow = yOff + r * n + col;  // y[r, col]: the tile's rows are n apart
                        if (k0 == k0Start) {
                            startTile(y, yRow, n, mr, bias, col, accumulate);
                        }
                        tile(mr, x, xRow, k, panel, s * NR, ldp, kc, y, yRow, n);
                    }
                    if (edge > 0) {
                        // the partial strip: the edge tile's rows are NR apart
                        tile(mr, x, xRow, k, panel, full * NR, ldp, kc, edgeTile, r * NR, NR);
                    }
                    r += mr;
                }
            }
            if (edge > 0) {
                int col = nc0 + full * NR;
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(edgeTile, r * NR, y, yOff + r * n + col, edge);
                }
            }
        }
        SCRATCH.give(scratch);                          // not after a failure: the pool makes another
    }

    /** The rows of the next register tile when {@code left} rows remain: {@link #MR}, else 4, 2 or 1. */
    private static int tileRows(int left) {
        if (left >= MR) {
            return MR;
        }
        return left >= 4 ? 4 : left >= 2 ? 2 : 1;
    }

    /**
     * Copies {@code W[k0 … k0+kc, c0 … c0+width)} ({@code W}'s rows {@code ldw} apart) into
     * {@code panel} as a row-major {@code [kc, ldp]} block: one bulk copy (a {@code memcpy}) per row segment, read along the rows
     * of {@code W}. Layout change: the row stride drops from {@code ldw} to {@code ldp} (width rounded
     * up to whole strips), and the padding after a partial last strip is zero.
     */
    private static void pack(FloatBuffer w, int ldw, int k0, int kc, int c0, int width, int ldp, float[] panel) {
        if (width == ldw && width == ldp) {
            w.get(k0 * ldw, panel, 0, kc * width);     // whole rows, no padding: one contiguous copy
            return;
        }
        for (int i = 0; i < kc; i++) {
            w.get((k0 + i) * ldw + c0, panel, i * ldp, width);
            if (width < ldp) {
                Arrays.fill(panel, i * ldp + width, (i + 1) * ldp, 0f);
            }
        }
    }

    /**
     * Sets a {@code rows × NR} tile of {@code y} to its starting value before the first {@code KC}
     * block: {@code (accumulate ? y : 0) + bias}.
     */
    private static void startTile(float[] y, int yRow, int ldy, int rows, float[] bias, int col, boolean accumulate) {
        if (accumulate && bias == null) {
            return;
        }
        for (int r = 0, row = yRow; r < rows; r++, row += ldy) {
            for (int j = 0; j < NR; j += L) {
                FloatVector v = accumulate ? FloatVector.fromArray(S, y, row + j) : FloatVector.zero(S);
                if (bias != null) {
                    v = v.add(FloatVector.fromArray(S, bias, col + j));
                }
                v.intoArray(y, row + j);
            }
        }
    }

    /** Runs the micro-kernel for {@code rows} (8, 4, 2 or 1) rows. */
    private static void tile(int rows, float[] x, int xRow, int k, float[] panel, int p, int ldp, int kc,
                             float[] y, int yRow, int ldy) {
        switch (rows) {
            case 8 -> tile8(x, xRow, k, panel, p, ldp, kc, y, yRow, ldy);
            case 4 -> tile4(x, xRow, k, panel, p, ldp, kc, y, yRow, ldy);
            case 2 -> tile2(x, xRow, k, panel, p, ldp, kc, y, yRow, ldy);
            default -> tile1(x, xRow, panel, p, ldp, kc, y, yRow);
        }
    }

    /**
     * The micro-kernel, 8 rows × 3 vectors (AVX-512 only): 24 accumulators; per row {@code i} of the
     * strip, 3 weight loads and 8 broadcasts feed 24 FMAs.
     *
     * @param xRow index of {@code x[row 0, k0]}; the tile's rows are {@code k} apart
     * @param p    index of the strip's first float in {@code panel}; its {@code kc} rows of
     *             {@link #NR} floats are {@code ldp} apart
     * @param yRow index of {@code y[row 0, column 0]}; the tile's rows are {@code ldy} apart
     */
    private static void tile8(float[] x, int xRow, int k, float[] panel, int p, int ldp, int kc,
                              float[] y, int yRow, int ldy) {
        int y0 = yRow;
        int y1 = y0 + ldy;
        int y2 = y1 + ldy;
        int y3 = y2 + ldy;
        int y4 = y3 + ldy;
        int y5 = y4 + ldy;
        int y6 = y5 + ldy;
        int y7 = y6 + ldy;
        FloatVector a0 = FloatVector.fromArray(S, y, y0);
        FloatVector a1 = FloatVector.fromArray(S, y, y0 + L);
        FloatVector a2 = FloatVector.fromArray(S, y, y0 + 2 * L);
        FloatVector b0 = FloatVector.fromArray(S, y, y1);
        FloatVector b1 = FloatVector.fromArray(S, y, y1 + L);
        FloatVector b2 = FloatVector.fromArray(S, y, y1 + 2 * L);
        FloatVector c0 = FloatVector.fromArray(S, y, y2);
        FloatVector c1 = FloatVector.fromArray(S, y, y2 + L);
        FloatVector c2 = FloatVector.fromArray(S, y, y2 + 2 * L);
        FloatVector d0 = FloatVector.fromArray(S, y, y3);
        FloatVector d1 = FloatVector.fromArray(S, y, y3 + L);
        FloatVector d2 = FloatVector.fromArray(S, y, y3 + 2 * L);
        FloatVector e0 = FloatVector.fromArray(S, y, y4);
        FloatVector e1 = FloatVector.fromArray(S, y, y4 + L);
        FloatVector e2 = FloatVector.fromArray(S, y, y4 + 2 * L);
        FloatVector f0 = FloatVector.fromArray(S, y, y5);
        FloatVector f1 = FloatVector.fromArray(S, y, y5 + L);
        FloatVector f2 = FloatVector.fromArray(S, y, y5 + 2 * L);
        FloatVector g0 = FloatVector.fromArray(S, y, y6);
        FloatVector g1 = FloatVector.fromArray(S, y, y6 + L);
        FloatVector g2 = FloatVector.fromArray(S, y, y6 + 2 * L);
        FloatVector h0 = FloatVector.fromArray(S, y, y7);
        FloatVector h1 = FloatVector.fromArray(S, y, y7 + L);
        FloatVector h2 = FloatVector.fromArray(S, y, y7 + 2 * L);
        int x0 = xRow;
        int x1 = x0 + k;
        int x2 = x1 + k;
        int x3 = x2 + k;
        int x4 = x3 + k;
        int x5 = x4 + k;
        int x6 = x5 + k;
        int x7 = x6 + k;
        for (int i = 0; i < kc; i++) {
            int q = p + i * ldp;
            FloatVector w0 = FloatVector.fromArray(S, panel, q);
            FloatVector w1 = FloatVector.fromArray(S, panel, q + L);
            FloatVector w2 = FloatVector.fromArray(S, panel, q + 2 * L);
            FloatVector s = FloatVector.broadcast(S, x[x0 + i]);
            a0 = w0.fma(s, a0);
            a1 = w1.fma(s, a1);
            a2 = w2.fma(s, a2);
            s = FloatVector.broadcast(S, x[x1 + i]);
            b0 = w0.fma(s, b0);
            b1 = w1.fma(s, b1);
            b2 = w2.fma(s, b2);
            s = FloatVector.broadcast(S, x[x2 + i]);
            c0 = w0.fma(s, c0);
            c1 = w1.fma(s, c1);
            c2 = w2.fma(s, c2);
            s = FloatVector.broadcast(S, x[x3 + i]);
            d0 = w0.fma(s, d0);
            d1 = w1.fma(s, d1);
            d2 = w2.fma(s, d2);
            s = FloatVector.broadcast(S, x[x4 + i]);
            e0 = w0.fma(s, e0);
            e1 = w1.fma(s, e1);
            e2 = w2.fma(s, e2);
            s = FloatVector.broadcast(S, x[x5 + i]);
            f0 = w0.fma(s, f0);
            f1 = w1.fma(s, f1);
            f2 = w2.fma(s, f2);
            s = FloatVector.broadcast(S, x[x6 + i]);
            g0 = w0.fma(s, g0);
            g1 = w1.fma(s, g1);
            g2 = w2.fma(s, g2);
            s = FloatVector.broadcast(S, x[x7 + i]);
            h0 = w0.fma(s, h0);
            h1 = w1.fma(s, h1);
            h2 = w2.fma(s, h2);
        }
        a0.intoArray(y, y0);
        a1.intoArray(y, y0 + L);
        a2.intoArray(y, y0 + 2 * L);
        b0.intoArray(y, y1);
        b1.intoArray(y, y1 + L);
        b2.intoArray(y, y1 + 2 * L);
        c0.intoArray(y, y2);
        c1.intoArray(y, y2 + L);
        c2.intoArray(y, y2 + 2 * L);
        d0.intoArray(y, y3);
        d1.intoArray(y, y3 + L);
        d2.intoArray(y, y3 + 2 * L);
        e0.intoArray(y, y4);
        e1.intoArray(y, y4 + L);
        e2.intoArray(y, y4 + 2 * L);
        f0.intoArray(y, y5);
        f1.intoArray(y, y5 + L);
        f2.intoArray(y, y5 + 2 * L);
        g0.intoArray(y, y6);
        g1.intoArray(y, y6 + L);
        g2.intoArray(y, y6 + 2 * L);
        h0.intoArray(y, y7);
        h1.intoArray(y, y7 + L);
        h2.intoArray(y, y7 + 2 * L);
    }

    /** {@link #tile8} for 4 rows: 12 accumulators (the full tile with AVX2's 16 registers). */
    private static void tile4(float[] x, int xRow, int k, float[] panel, int p, int ldp, int kc,
                              float[] y, int yRow, int ldy) {
        int y0 = yRow;
        int y1 = y0 + ldy;
        int y2 = y1 + ldy;
        int y3 = y2 + ldy;
        FloatVector a0 = FloatVector.fromArray(S, y, y0);
        FloatVector a1 = FloatVector.fromArray(S, y, y0 + L);
        FloatVector a2 = FloatVector.fromArray(S, y, y0 + 2 * L);
        FloatVector b0 = FloatVector.fromArray(S, y, y1);
        FloatVector b1 = FloatVector.fromArray(S, y, y1 + L);
        FloatVector b2 = FloatVector.fromArray(S, y, y1 + 2 * L);
        FloatVector c0 = FloatVector.fromArray(S, y, y2);
        FloatVector c1 = FloatVector.fromArray(S, y, y2 + L);
        FloatVector c2 = FloatVector.fromArray(S, y, y2 + 2 * L);
        FloatVector d0 = FloatVector.fromArray(S, y, y3);
        FloatVector d1 = FloatVector.fromArray(S, y, y3 + L);
        FloatVector d2 = FloatVector.fromArray(S, y, y3 + 2 * L);
        int x0 = xRow;
        int x1 = x0 + k;
        int x2 = x1 + k;
        int x3 = x2 + k;
        for (int i = 0; i < kc; i++) {
            int q = p + i * ldp;
            FloatVector w0 = FloatVector.fromArray(S, panel, q);
            FloatVector w1 = FloatVector.fromArray(S, panel, q + L);
            FloatVector w2 = FloatVector.fromArray(S, panel, q + 2 * L);
            FloatVector s = FloatVector.broadcast(S, x[x0 + i]);
            a0 = w0.fma(s, a0);
            a1 = w1.fma(s, a1);
            a2 = w2.fma(s, a2);
            s = FloatVector.broadcast(S, x[x1 + i]);
            b0 = w0.fma(s, b0);
            b1 = w1.fma(s, b1);
            b2 = w2.fma(s, b2);
            s = FloatVector.broadcast(S, x[x2 + i]);
            c0 = w0.fma(s, c0);
            c1 = w1.fma(s, c1);
            c2 = w2.fma(s, c2);
            s = FloatVector.broadcast(S, x[x3 + i]);
            d0 = w0.fma(s, d0);
            d1 = w1.fma(s, d1);
            d2 = w2.fma(s, d2);
        }
        a0.intoArray(y, y0);
        a1.intoArray(y, y0 + L);
        a2.intoArray(y, y0 + 2 * L);
        b0.intoArray(y, y1);
        b1.intoArray(y, y1 + L);
        b2.intoArray(y, y1 + 2 * L);
        c0.intoArray(y, y2);
        c1.intoArray(y, y2 + L);
        c2.intoArray(y, y2 + 2 * L);
        d0.intoArray(y, y3);
        d1.intoArray(y, y3 + L);
        d2.intoArray(y, y3 + 2 * L);
    }

    /** {@link #tile8} for 2 remaining rows: 6 accumulators. */
    private static void tile2(float[] x, int xRow, int k, float[] panel, int p, int ldp, int kc,
                              float[] y, int yRow, int ldy) {
        int y0 = yRow;
        int y1 = y0 + ldy;
        FloatVector a0 = FloatVector.fromArray(S, y, y0);
        FloatVector a1 = FloatVector.fromArray(S, y, y0 + L);
        FloatVector a2 = FloatVector.fromArray(S, y, y0 + 2 * L);
        FloatVector b0 = FloatVector.fromArray(S, y, y1);
        FloatVector b1 = FloatVector.fromArray(S, y, y1 + L);
        FloatVector b2 = FloatVector.fromArray(S, y, y1 + 2 * L);
        int x0 = xRow;
        int x1 = x0 + k;
        for (int i = 0; i < kc; i++) {
            int q = p + i * ldp;
            FloatVector w0 = FloatVector.fromArray(S, panel, q);
            FloatVector w1 = FloatVector.fromArray(S, panel, q + L);
            FloatVector w2 = FloatVector.fromArray(S, panel, q + 2 * L);
            FloatVector s = FloatVector.broadcast(S, x[x0 + i]);
            a0 = w0.fma(s, a0);
            a1 = w1.fma(s, a1);
            a2 = w2.fma(s, a2);
            s = FloatVector.broadcast(S, x[x1 + i]);
            b0 = w0.fma(s, b0);
            b1 = w1.fma(s, b1);
            b2 = w2.fma(s, b2);
        }
        a0.intoArray(y, y0);
        a1.intoArray(y, y0 + L);
        a2.intoArray(y, y0 + 2 * L);
        b0.intoArray(y, y1);
        b1.intoArray(y, y1 + L);
        b2.intoArray(y, y1 + 2 * L);
    }

    /** {@link #tile8} for 1 remaining row: 3 accumulators. */
    private static void tile1(float[] x, int xRow, float[] panel, int p, int ldp, int kc, float[] y, int yRow) {
        FloatVector a0 = FloatVector.fromArray(S, y, yRow);
        FloatVector a1 = FloatVector.fromArray(S, y, yRow + L);
        FloatVector a2 = FloatVector.fromArray(S, y, yRow + 2 * L);
        for (int i = 0; i < kc; i++) {
            int q = p + i * ldp;
            FloatVector s = FloatVector.broadcast(S, x[xRow + i]);
            a0 = FloatVector.fromArray(S, panel, q).fma(s, a0);
            a1 = FloatVector.fromArray(S, panel, q + L).fma(s, a1);
            a2 = FloatVector.fromArray(S, panel, q + 2 * L).fma(s, a2);
        }
        a0.intoArray(y, yRow);
        a1.intoArray(y, yRow + L);
        a2.intoArray(y, yRow + 2 * L);
    }
}
