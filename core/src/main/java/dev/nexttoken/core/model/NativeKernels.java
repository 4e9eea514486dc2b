package dev.nexttoken.core.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * A few rows (1 to {@link #MAX_ROWS}) times a weight matrix stored as any {@link WeightFormat}, in
 * native code ({@code core/src/main/c/nexttoken_kernels.c}): the weight products and the lm_head
 * of decode steps on the CPU path, where the time is what it takes to read each weight once; a
 * prompt's products ({@link #gemm}, any number of rows, where the time is arithmetic); and the
 * widening of rows to float32 (embeddings).
 *
 * <p>Decode steps are row-count invariant: a row's results are the same bits whatever rows share the call (every
 * output is computed by the same sequence of operations whatever the row count;
 * {@code NativeKernelsRowCountTest}), which is what lets sequences decoded together
 * ({@link Gpt2Model#forwardTogether}) get exactly what each gets alone. The float kernels decode
 * the weights exactly to float32 before any arithmetic, so a product on F16, BF16 or Q8 weights
 * gives the bits of the F32 product on the widened weights.
 *
 * <p>The kernels exist for three instruction sets: {@link Isa#AVX512_VNNI}, {@link Isa#AVX512}
 * (16-float vectors) and {@link Isa#AVX2} (with FMA and F16C; 8-float vectors); {@link #variant()}
 * is the widest this CPU runs, chosen once per JVM. {@link Isa#AVX512_VNNI} differs from
 * {@link Isa#AVX512} only in Q8's {@link #linear} and {@link #gemm}, which it computes in
 * integers: each row of {@code x} quantized to 8 bits per block of 32 values, as llama.cpp's
 * Q8_0 does (nexttoken_kernels.c says how), several times fewer instructions per weight where
 * several rows share the weights, at the price of rounding {@code x}. The package-private
 * overloads taking an {@link Isa} let tests run each variant the CPU has, and refuse one it lacks.
 *
 * <p>The work is split into one contiguous run of {@code W}'s rows per core: in {@link #linear}
 * by {@link RowSplit} (runs of the reduction axis, partial outputs added), in {@link #dots} by
 * {@link ParallelRange} (runs of vocabulary rows), each part writing its own outputs; in
 * {@link #gemm} by panels of {@code W}'s columns.
 *
 * <p>Available on Linux x86-64 where the CPU has AVX2, FMA and F16C (or AVX-512): the library
 * {@code libnexttoken.so} is committed among the resources, built by
 * {@code core/src/main/c/build.sh} with a pinned compiler, so every build's jar holds the same
 * bytes. The system property {@code nexttoken.native=false} turns it off (a switch for
 * comparisons); {@code nexttoken.native.variant=avx2} (or {@code avx512}) takes those kernels on a CPU that has wider ones.
 * Otherwise the CPU path uses {@code sgemv} for one row and {@link VectorGemm} for several.
 */
final class NativeKernels {

    /** Set to {@code false} to turn the native kernels off (a switch for comparisons). */
    static final String PROPERTY = "nexttoken.native";
    /** Set to {@code avx2} to take the AVX2 kernels where AVX-512 is there too (a switch for comparisons). */
    static final String VARIANT_PROPERTY = "nexttoken.native.variant";
    /** Where the library is among the resources. */
    static final String RESOURCE = "/dev/nexttoken/core/model/native/linux-x86_64/libnexttoken.so";
    /** The most rows of {@code x} per {@link #linear} or {@link #dots} call: decode steps of up to 16 sequences. */
    static final int MAX_ROWS = 16;
    /**
     * Rows of {@code x} per native {@link #gemm} call: each core copies its rows of {@code x} in,
     * so a long prompt of a wide model (16 × 1,024 rows × 6,400 for gpt2-xl's MLP) would
     * otherwise take hundreds of MB; at 256 rows the copy is at most a few MB, and the panels'
     * decoding, repeated per chunk, stays a small share of the products.
     */
    static final int GEMM_ROWS = 256;
    /** Rows of {@link #dots} per core at least. */
    static final int MIN_DOT_ROWS = 256;
    /** Floats of {@link #widen(WeightFormat, long, long, int, long, long, long)} per core at least. */
    static final long MIN_WIDEN_FLOATS = 1 << 16;

    /** An instruction set the kernels are compiled for; the codes are those of the C file. */
    enum Isa {
        /** AVX2 with FMA and F16C: Haswell, Zen 1–3 and later. */
        AVX2("avx2", 1, 8),
        /** AVX-512F (with the above): Skylake-X, Zen 4–5. */
        AVX512("avx512", 2, 16),
        /** AVX-512 with BW, VL and VNNI: Ice Lake, Zen 4–5; Q8's products in integers. */
        AVX512_VNNI("avx512-vnni", 4, 16);

        final String label;
        final int code;
        /** Floats per vector. */
        final int lanes;

        Isa(String label, int code, int lanes) {
            this.label = label;
            this.code = code;
            this.lanes = lanes;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(NativeKernels.class);
    /** The bits {@link Isa#code} of the variants this CPU runs; 0 when the library is not loaded. */
    private static final int SUPPORTED = load();
    private static final Isa CHOSEN = choose(SUPPORTED);

    private NativeKernels() {
    }

    /** Whether the library loaded and this CPU runs one of its variants. */
    static boolean isAvailable() {
        return CHOSEN != null;
    }

    /** "avx512-vnni", "avx512", "avx2", or "none": the variant chosen once for this JVM. */
    static String variant() {
        return CHOSEN == null ? "none" : CHOSEN.label;
    }

    /** Whether the library loaded and this CPU runs {@code isa} (whatever the production choice). */
    static boolean supports(Isa isa) {
        return (SUPPORTED & isa.code) != 0;
    }

    /**
     * {@code y [rows, n] = (accumulate ? y : 0) + x [rows, k] · W + bias}, the rows of {@code x}
     * and {@code y} contiguous from their offsets; each weight is read once for all rows, spread
     * over the cores; row-count invariant.
     *
     * @param w      address of {@code W}, row-major {@code [k, n]} in {@code format}; the caller keeps it alive
     * @param scales for {@link WeightFormat#Q8}, address of the float16 scales {@code [ceil(k/32), n]}; else 0
     * @param rows   1 to {@link #MAX_ROWS}
     * @param bias   {@code [n]}, or null for none
     * @throws IllegalStateException    when the kernels are not available
     * @throws IllegalArgumentException when a shape is out of range, an address is missing or an array is too short
     */
    static void linear(WeightFormat format, long w, long scales, float[] x, int xOff, int rows, int k, int n,
                       float[] bias, boolean accumulate, float[] y, int yOff) {
        linear(chosen(), format, w, scales, x, xOff, rows, k, n, bias, accumulate, y, yOff);
    }

    /** {@link #linear(WeightFormat, long, long, float[], int, int, int, int, float[], boolean, float[], int)} on the kernels of {@code isa}. */
    static void linear(Isa isa, WeightFormat format, long w, long scales, float[] x, int xOff, int rows, int k, int n,
                       float[] bias, boolean accumulate, float[] y, int yOff) {
        check(isa);
        checkShapes(format, w, scales, x, xOff, rows, true, k, n, bias, y, yOff);
        int size = rows * n;
        prepare(rows, n, bias, accumulate, y, yOff);
        int code = formatCode(format);
        int align = format == WeightFormat.Q8 ? WeightFormat.Q8_BLOCK : 1;   // a Q8 block's rows stay together
        RowSplit.run(RowSplit.parts(k), k, align, y, yOff, size, (k0, k1, first, out, outOff) -> {
            if (!first) {
                Arrays.fill(out, outOff, outOff + size, 0f);        // the kernel adds into its output
            }
            if (k1 > k0) {
                linear(isa.code, code, w, scales, k, n, k0, k1, rows, x, xOff, out, outOff);
            }
        });
    }

    /**
     * A prompt's product, {@code y [rows, n] = (accumulate ? y : 0) + x [rows, k] · W + bias} for
     * any number of rows, the rows of {@code x} and {@code y} contiguous from their offsets: panels
     * of {@code W}'s columns are decoded to float32 once and multiplied with every row (a register
     * tile of 12 rows × 32 columns with AVX-512, 6 × 16 with AVX2; Q8 on {@link Isa#AVX512_VNNI}:
     * panels of 64 columns packed as bytes, tiles of 6 rows in integers), the panels spread over the
     * cores, {@link #GEMM_ROWS} rows at a time. Not row-count invariant (a row's sums are split as the tiles fall): for prompts, not
     * decode steps.
     *
     * @param w      address of {@code W}, row-major {@code [k, n]} in {@code format}; the caller keeps it alive
     * @param scales for {@link WeightFormat#Q8}, address of the float16 scales {@code [ceil(k/32), n]}; else 0
     * @param rows   1 or more
     * @param bias   {@code [n]}, or null for none
     * @throws IllegalStateException    when the kernels are not available
     * @throws IllegalArgumentException when a shape is out of range, an address is missing or an array is too short
     */
    static void gemm(WeightFormat format, long w, long scales, float[] x, int xOff, int rows, int k, int n,
                     float[] bias, boolean accumulate, float[] y, int yOff) {
        gemm(chosen(), format, w, scales, x, xOff, rows, k, n, bias, accumulate, y, yOff);
    }

    /** {@link #gemm(WeightFormat, long, long, float[], int, int, int, int, float[], boolean, float[], int)} on the kernels of {@code isa}. */
    static void gemm(Isa isa, WeightFormat format, long w, long scales, float[] x, int xOff, int rows, int k, int n,
                     float[] bias, boolean accumulate, float[] y, int yOff) {
        check(isa);
        if (rows < 1 || (long) rows * Math.max(k, n) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("rows must be 1 or more, and rows·k, rows·n fit an array: rows=" + rows
                    + ", k=" + k + ", n=" + n);
        }
        checkShapes(format, w, scales, x, xOff, rows, false, k, n, bias, y, yOff);
        prepare(rows, n, bias, accumulate, y, yOff);
        int code = formatCode(format);
        int panel = isa == Isa.AVX512_VNNI && format == WeightFormat.Q8 ? 64 : 2 * isa.lanes;
        int panels = (n + panel - 1) / panel;
        for (int r0 = 0; r0 < rows; r0 += GEMM_ROWS) {
            int chunk = Math.min(GEMM_ROWS, rows - r0);
            int xAt = xOff + r0 * k;
            int yAt = yOff + r0 * n;
            ParallelRange.run(panels, 1, (from, to) ->
                    gemm(isa.code, code, w, scales, k, n, from * panel, Math.min(n, to * panel), chunk, x, xAt, y, yAt));
        }
    }

    /**
     * {@code y[yOff + r·n + j] = Σ_i x[xOff + r·k + i] · w[wOff + i·ldw + j]} for {@code r < rows},
     * {@code j < n}: a small float32 product of two arrays on the calling thread, by the prompt
     * GEMM's tiles (a prompt's attention over one head's cache, where the pairs are already spread
     * over the cores). Same contract as {@link VectorGemm#multiply}.
     *
     * @throws IllegalStateException    when the kernels are not available
     * @throws IllegalArgumentException when a shape is out of range or an array is too short
     */
    static void multiply(float[] x, int xOff, int rows, int k, float[] w, int wOff, int ldw, int n, float[] y,
                         int yOff) {
        Isa isa = chosen();
        MatrixKernels.checkProduct(x, xOff, rows, k, w, wOff, ldw, n, y, yOff);
        if ((long) rows * Math.max(k, n) + (long) k * n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad product: rows=" + rows + " k=" + k + " n=" + n
                    + " (the native copies hold at most " + Integer.MAX_VALUE + " floats)");
        }
        multiply(isa.code, x, xOff, rows, k, w, wOff, ldw, n, y, yOff);
    }

    /** {@code y}'s starting value before a kernel adds into it: zero unless accumulating, plus the bias. */
    private static void prepare(int rows, int n, float[] bias, boolean accumulate, float[] y, int yOff) {
        if (!accumulate) {
            Arrays.fill(y, yOff, yOff + rows * n, 0f);
        }
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    y[yOff + r * n + j] += bias[j];
                }
            }
        }
    }

    /**
     * The lm_head: for {@code r < rows}, {@code y_r[v] = W[v, ·] · x[xOff + r·k, +k)} for every
     * {@code v < vocab}, reading {@code W} once for all rows, spread over the cores. Each sum is
     * computed as for one row (the same accumulation order), so results are row-count invariant.
     *
     * @param w      address of {@code W}, row-major {@code [vocab, k]} in {@code format}; the caller keeps it alive
     * @param scales for {@link WeightFormat#Q8}, address of the float16 scales {@code [ceil(vocab/32), k]}; else 0
     * @param rows   1 to {@link #MAX_ROWS}
     * @param yRows  per row of {@code x}, the address of its {@code vocab} result floats; the caller keeps them alive
     * @throws IllegalStateException    when the kernels are not available
     * @throws IllegalArgumentException when a shape is out of range, an address is missing or an array is too short
     */
    static void dots(WeightFormat format, long w, long scales, float[] x, int xOff, int rows, int k, int vocab,
                     long[] yRows) {
        dots(chosen(), format, w, scales, x, xOff, rows, k, vocab, yRows);
    }

    /** {@link #dots(WeightFormat, long, long, float[], int, int, int, int, long[])} on the kernels of {@code isa}. */
    static void dots(Isa isa, WeightFormat format, long w, long scales, float[] x, int xOff, int rows, int k,
                     int vocab, long[] yRows) {
        check(isa);
        if (k < 1 || vocab < 1 || w == 0 || yRows.length < rows) {
            throw new IllegalArgumentException("needs k, vocab ≥ 1, a weight address and an output per row: k="
                    + k + ", vocab=" + vocab + ", rows=" + rows + ", outputs=" + yRows.length);
        }
        checkRows(rows);
        checkScales(format, scales);
        for (int r = 0; r < rows; r++) {
            if (yRows[r] == 0) {
                throw new IllegalArgumentException("row " + r + " has no output address");
            }
        }
        checkX(x, xOff, rows * k);
        int code = formatCode(format);
        ParallelRange.run(vocab, MIN_DOT_ROWS,
                (from, to) -> dots(isa.code, code, w, scales, k, from, to, x, xOff, rows, yRows));
    }

    /**
     * {@code out[outOff + (r - r0)·cols + j] = W[r, j]} as float32, for {@code r} in {@code [r0, r1)}
     * and {@code j < cols}: exact for every format.
     *
     * @param w      address of {@code W}, row-major with {@code cols} values a row in {@code format}
     * @param scales for {@link WeightFormat#Q8}, address of the float16 scales, {@code cols} per 32 rows; else 0
     * @throws IllegalStateException    when the kernels are not available
     * @throws IllegalArgumentException when the range is empty or reversed, an address is missing or {@code out} is too short
     */
    static void widen(WeightFormat format, long w, long scales, int cols, long r0, long r1, float[] out, int outOff) {
        widen(chosen(), format, w, scales, cols, r0, r1, out, outOff);
    }

    /** {@link #widen(WeightFormat, long, long, int, long, long, float[], int)} on the kernels of {@code isa}. */
    static void widen(Isa isa, WeightFormat format, long w, long scales, int cols, long r0, long r1, float[] out,
                      int outOff) {
        check(isa);
        checkWiden(format, w, scales, cols, r0, r1);
        long floats = (r1 - r0) * cols;
        if (outOff < 0 || outOff > out.length - floats) {
            throw new IllegalArgumentException("out holds " + out.length + " floats, needs " + floats + " from " + outOff);
        }
        widen(isa.code, formatCode(format), w, scales, cols, r0, r1, out, outOff);
    }

    /**
     * The same into native memory at address {@code out} ({@code (r1 - r0)·cols} floats; the
     * caller keeps it alive). Large ranges are spread over the cores.
     */
    static void widen(WeightFormat format, long w, long scales, int cols, long r0, long r1, long out) {
        widen(chosen(), format, w, scales, cols, r0, r1, out);
    }

    /** {@link #widen(WeightFormat, long, long, int, long, long, long)} on the kernels of {@code isa}. */
    static void widen(Isa isa, WeightFormat format, long w, long scales, int cols, long r0, long r1, long out) {
        check(isa);
        checkWiden(format, w, scales, cols, r0, r1);
        if (out == 0) {
            throw new IllegalArgumentException("needs an output address");
        }
        int code = formatCode(format);
        long rows = r1 - r0;
        if (rows > Integer.MAX_VALUE) {                         // ParallelRange counts in ints: whole chunks of rows
            long step = Integer.MAX_VALUE;
            for (long from = r0; from < r1; from += step) {
                long to = Math.min(r1, from + step);
                widen(isa, format, w, scales, cols, from, to, out + (from - r0) * cols * Float.BYTES);
            }
            return;
        }
        int minRows = (int) Math.max(1, MIN_WIDEN_FLOATS / cols);
        ParallelRange.run((int) rows, minRows, (from, to) ->
                widenTo(isa.code, code, w, scales, cols, r0 + from, r0 + to, out + (long) from * cols * Float.BYTES));
    }

    private static Isa chosen() {
        if (CHOSEN == null) {
            throw new IllegalStateException("the native kernels are not available");
        }
        return CHOSEN;
    }

    /** That the library is loaded and this CPU runs {@code isa}: never an illegal instruction. */
    private static void check(Isa isa) {
        check(isa, SUPPORTED);
    }

    /** That {@code supported} (bits {@link Isa#code}; 0: no library) includes {@code isa}. */
    static void check(Isa isa, int supported) {
        if (supported == 0) {
            throw new IllegalStateException("the native kernels are not available");
        }
        if ((supported & isa.code) == 0) {
            throw new IllegalStateException("this CPU does not run the " + isa.label + " kernels");
        }
    }

    /** The format's code in the C file. */
    private static int formatCode(WeightFormat format) {
        return switch (format) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 2;
            case Q8 -> 3;
        };
    }

    private static void checkRows(int rows) {
        if (rows < 1 || rows > MAX_ROWS) {
            throw new IllegalArgumentException("rows must be 1 to " + MAX_ROWS + ": " + rows);
        }
    }

    /** That Q8 comes with its scales' address, and other formats without one. */
    private static void checkScales(WeightFormat format, long scales) {
        if ((format == WeightFormat.Q8) != (scales != 0)) {
            throw new IllegalArgumentException(format == WeightFormat.Q8
                    ? "Q8 needs the address of its scales" : format + " has no scales: scales must be 0");
        }
    }

    /** That {@code x} holds {@code floats} floats from {@code xOff}. */
    private static void checkX(float[] x, int xOff, int floats) {
        if (xOff < 0 || xOff > x.length - floats) {
            throw new IllegalArgumentException("x holds " + x.length + " floats, needs " + floats + " from " + xOff);
        }
    }

    /** The shapes of a product of {@code rows} rows; {@code decode}: a decode step's 1 to {@link #MAX_ROWS} rows. */
    private static void checkShapes(WeightFormat format, long w, long scales, float[] x, int xOff, int rows,
                                    boolean decode, int k, int n, float[] bias, float[] y, int yOff) {
        if (k < 1 || n < 1 || w == 0) {
            throw new IllegalArgumentException("needs k, n ≥ 1 and a weight address: k=" + k + ", n=" + n);
        }
        if (decode) {
            checkRows(rows);
        }
        checkScales(format, scales);
        checkX(x, xOff, rows * k);
        if (yOff < 0 || yOff > y.length - rows * n) {
            throw new IllegalArgumentException("y holds " + y.length + " floats, needs " + rows * n + " from " + yOff);
        }
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("bias holds " + bias.length + " floats, needs " + n);
        }
    }

    private static void checkWiden(WeightFormat format, long w, long scales, int cols, long r0, long r1) {
        if (cols < 1 || w == 0 || r0 < 0 || r1 < r0) {
            throw new IllegalArgumentException("needs cols ≥ 1, a weight address and 0 ≤ r0 ≤ r1: cols=" + cols
                    + ", r0=" + r0 + ", r1=" + r1);
        }
        checkScales(format, scales);
    }

    /** The variant for this JVM: the widest the CPU runs, or a narrower one {@link #VARIANT_PROPERTY} asks for. */
    static Isa choose(int supported) {
        if (supported == 0) {
            return null;
        }
        String asked = System.getProperty(VARIANT_PROPERTY, "").trim().toLowerCase(Locale.ROOT);
        for (Isa isa : Isa.values()) {
            if (asked.equals(isa.label) && (supported & isa.code) != 0) {
                return isa;
            }
        }
        if (!asked.isEmpty()) {
            LOG.warn("-D{}={} is not a variant this CPU runs: taking the widest", VARIANT_PROPERTY, asked);
        }
        Isa widest = null;
        for (Isa isa : Isa.values()) {                         // declared narrowest first
            if ((supported & isa.code) != 0) {
                widest = isa;
            }
        }
        return widest;
    }

    /** Loads the library from the jar; returns the variants this CPU runs (0: none, or not loaded). */
    private static int load() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim())) {
            return 0;
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return 0;
        }
        try (InputStream library = NativeKernels.class.getResourceAsStream(RESOURCE)) {
            if (library == null) {
                LOG.warn("{} is missing from the jar: decode steps use OpenBLAS and VectorGemm", RESOURCE);
                return 0;
            }
            Path file = Files.createTempFile("nexttoken-", ".so");
            try {
                Files.copy(library, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toAbsolutePath().toString());
            } finally {
                Files.deleteIfExists(file);          // a loaded library stays mapped; nothing is left in /tmp
            }
            int supported = variants();
            if (supported == 0) {
                LOG.debug("neither AVX2 with FMA and F16C nor AVX-512 on this CPU: decode steps use OpenBLAS and VectorGemm");
            }
            return supported;
        } catch (IOException | LinkageError | SecurityException e) {
            LOG.warn("the native kernels did not load ({}): decode steps use OpenBLAS and VectorGemm", e.toString());
            return 0;
        }
    }

    /** Bit {@link Isa#code} set for each variant this CPU (and its OS) runs. */
    private static native int variants();

    /**
     * {@code y[yOff + r·n, +n) += x[xOff + r·k + i] · W[i, ·]} for {@code i} in {@code [k0, k1)}
     * and {@code r < rows}; no checks.
     */
    private static native void linear(int isa, int format, long w, long scales, int k, int n, int k0, int k1, int rows,
                                      float[] x, int xOff, float[] y, int yOff);

    /**
     * {@code yRows[r][v] = W[v, ·] · x[xOff + r·k, +k)} for {@code v} in {@code [v0, v1)} and
     * {@code r < rows}; no checks.
     */
    private static native void dots(int isa, int format, long w, long scales, int k, int v0, int v1, float[] x,
                                    int xOff, int rows, long[] yRows);

    /**
     * {@code y[yOff + r·n + j] += x[xOff + r·k, +k) · W[·, j]} for {@code r < m} and {@code j} in
     * {@code [jFrom, jTo)}, {@code jFrom} a multiple of twice the variant's lanes; no checks.
     */
    private static native void gemm(int isa, int format, long w, long scales, int k, int n, int jFrom, int jTo, int m,
                                    float[] x, int xOff, float[] y, int yOff);

    /** {@code out[outOff + r·n + j] = a[aOff + r·k, +k) · b[bOff + i·bStride + j]}; no checks. */
    private static native void multiply(int isa, float[] a, int aOff, int m, int k, float[] b, int bOff, int bStride,
                                        int n, float[] out, int outOff);

    /** Rows {@code [r0, r1)} of {@code W} as float32 into {@code out} from {@code outOff}; no checks. */
    private static native void widen(int isa, int format, long w, long scales, int cols, long r0, long r1, float[] out,
                                     int outOff);

    /** Rows {@code [r0, r1)} of {@code W} as float32 at address {@code out}; no checks. */
    private static native void widenTo(int isa, int format, long w, long scales, int cols, long r0, long r1, long out);
}
