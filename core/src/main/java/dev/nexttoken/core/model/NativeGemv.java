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
 * A few rows (1 to {@link #MAX_ROWS}) times a weight matrix in native code
 * ({@code core/src/main/c/nexttoken_gemv.c}): the weight products and the lm_head of decode
 * steps on the CPU path, where the time is what it takes to read each weight once. A row's
 * results are the same bits whatever rows share the call (the kernels for several rows sum each
 * output in the order the one-row kernels do; {@code NativeGemvRowCountTest}), which is what lets
 * sequences decoded together ({@link Gpt2Model#forwardTogether}) get exactly what each gets alone.
 * Why native code: with 512-bit loads one core keeps more bytes in flight than OpenBLAS's
 * {@code sgemv} (it runs its AVX2 kernels here) or the Java Vector API, which on Java 17 reads
 * native memory only through {@code fromByteBuffer}; and at several rows it reads the weights in
 * place, where {@link VectorGemm} copies them into heap panels first. The measurements are in
 * docs/PERFORMANCE.md.
 *
 * <p>The work is split into one contiguous run of {@code W}'s rows per core: in {@link #linear}
 * by {@link RowSplit}, in {@link #dots} by {@link ParallelRange}, each part writing its own outputs.
 *
 * <p>Available when the library {@code libnexttoken.so} was built into the jar (Linux x86-64,
 * with gcc present at build time), loads, and the CPU has AVX-512; the system property
 * {@code nexttoken.native=false} turns it off. Otherwise the CPU path uses {@code sgemv} for one
 * row and {@link VectorGemm} for several.
 */
final class NativeGemv {

    /** Set to {@code false} to turn the native kernel off (a switch for comparisons). */
    static final String PROPERTY = "nexttoken.native";
    /** Where the build puts the library among the classes. */
    static final String RESOURCE = "/dev/nexttoken/core/model/native/linux-x86_64/libnexttoken.so";
    /** The most rows of {@code x} per {@link #linear} call: decode steps of up to 16 sequences. */
    static final int MAX_ROWS = 16;
    /** Rows of {@link #dots} per core at least. */
    static final int MIN_DOT_ROWS = 256;

    private static final Logger LOG = LoggerFactory.getLogger(NativeGemv.class);
    private static final boolean AVAILABLE = load();

    private NativeGemv() {
    }

    /** Whether the kernel may be used; decided once per JVM. */
    static boolean isAvailable() {
        return AVAILABLE;
    }

    /**
     * {@code y [rows, n] = (accumulate ? y : 0) + x [rows, k] · W + bias}, the rows of {@code x}
     * and {@code y} contiguous from their offsets; each weight is read once for all rows.
     *
     * @param rows 1 to {@link #MAX_ROWS}
     * @param w    address of {@code W}, row-major {@code [k, n]} floats; the caller keeps it alive
     * @param bias {@code [n]}, or null for none
     * @throws IllegalStateException    when the kernel is not available
     * @throws IllegalArgumentException when rows is out of range or an array is too short for the shapes
     */
    static void linear(float[] x, int xOff, int rows, int k, long w, int n, float[] bias, boolean accumulate,
                       float[] y, int yOff) {
        checkAvailable();
        checkShapes(x, xOff, rows, k, w, n, bias, y, yOff);
        int size = rows * n;
        if (!accumulate) {
            Arrays.fill(y, yOff, yOff + size, 0f);
        }
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    y[yOff + r * n + j] += bias[j];
                }
            }
        }
        RowSplit.run(RowSplit.parts(k), k, y, yOff, size, (k0, k1, first, out, outOff) -> {
            if (!first) {
                Arrays.fill(out, outOff, outOff + size, 0f);        // the kernel adds into its output
            }
            accumulate(w, k, n, k0, k1, rows, x, xOff, out, outOff);
        });
    }

    /**
     * {@code y[v] = W[v, ·] · x[xOff, xOff+k)} for every row {@code v} of {@code W [rows, k]}: the
     * lm_head against {@code wte}, read in place. The rows are split into one run per core.
     *
     * @param w address of {@code W}, row-major {@code [rows, k]} floats; the caller keeps it alive
     * @param y address of {@code rows} floats for the result; the caller keeps it alive
     * @throws IllegalStateException    when the kernel is not available
     * @throws IllegalArgumentException when {@code x} is too short or an address is missing
     */
    static void dots(float[] x, int xOff, int k, long w, int rows, long y) {
        checkAvailable();
        if (k < 1 || rows < 1 || w == 0 || y == 0) {
            throw new IllegalArgumentException("needs k, rows ≥ 1 and both addresses: k=" + k + ", rows=" + rows);
        }
        checkX(x, xOff, k);
        ParallelRange.run(rows, MIN_DOT_ROWS, (from, to) -> dots(w, k, from, to, x, xOff, y));
    }

    /**
     * {@code y_r[v] = W[v, ·] · x_r} for every row {@code v} of {@code W [vocab, k]} and every input
     * row {@code x_r = x[xOff + r·k, +k)}, {@code r < rows}: the lm_head of a decode step of several
     * rows, reading {@code wte} once for all of them. Each sum is computed exactly as {@link #dots}
     * computes it for one row (the same accumulation order), so a row's logits do not depend on how
     * many rows share the call, nor on what the others hold.
     *
     * @param w     address of {@code W}, row-major {@code [vocab, k]} floats; the caller keeps it alive
     * @param yRows per input row, the address of its {@code vocab} result floats; the caller keeps them alive
     * @throws IllegalStateException    when the kernel is not available
     * @throws IllegalArgumentException when {@code x} or {@code yRows} is too short or an address is missing
     */
    static void dots(float[] x, int xOff, int rows, int k, long w, int vocab, long[] yRows) {
        checkAvailable();
        if (k < 1 || vocab < 1 || rows < 1 || w == 0 || yRows.length < rows) {
            throw new IllegalArgumentException("needs k, vocab, rows ≥ 1, a weight address and an output per row: k="
                    + k + ", vocab=" + vocab + ", rows=" + rows + ", outputs=" + yRows.length);
        }
        for (int r = 0; r < rows; r++) {
            if (yRows[r] == 0) {
                throw new IllegalArgumentException("row " + r + " has no output address");
            }
        }
        checkX(x, xOff, rows * k);
        ParallelRange.run(vocab, MIN_DOT_ROWS, (from, to) -> dotsMany(w, k, from, to, x, xOff, rows, yRows));
    }

    private static void checkAvailable() {
        if (!AVAILABLE) {
            throw new IllegalStateException("the native kernel is not available");
        }
    }

    /** That {@code x} holds {@code floats} floats from {@code xOff}. */
    private static void checkX(float[] x, int xOff, int floats) {
        if (xOff < 0 || xOff > x.length - floats) {
            throw new IllegalArgumentException("x holds " + x.length + " floats, needs " + floats + " from " + xOff);
        }
    }

    private static void checkShapes(float[] x, int xOff, int rows, int k, long w, int n, float[] bias, float[] y,
                                    int yOff) {
        if (k < 1 || n < 1 || w == 0) {
            throw new IllegalArgumentException("needs k, n ≥ 1 and a weight address: k=" + k + ", n=" + n);
        }
        if (rows < 1 || rows > MAX_ROWS) {
            throw new IllegalArgumentException("rows must be 1 to " + MAX_ROWS + ": " + rows);
        }
        checkX(x, xOff, rows * k);
        if (yOff < 0 || yOff > y.length - rows * n) {
            throw new IllegalArgumentException("y holds " + y.length + " floats, needs " + rows * n + " from " + yOff);
        }
        if (bias != null && bias.length < n) {
            throw new IllegalArgumentException("bias holds " + bias.length + " floats, needs " + n);
        }
    }

    /** Loads the library from the jar, when there is one for this platform and the CPU can run it. */
    private static boolean load() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim())) {
            return false;
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return false;
        }
        try (InputStream library = NativeGemv.class.getResourceAsStream(RESOURCE)) {
            if (library == null) {
                LOG.debug("{} is not in the jar (built without gcc?): decode steps use OpenBLAS and VectorGemm", RESOURCE);
                return false;
            }
            Path file = Files.createTempFile("nexttoken-", ".so");
            try {
                Files.copy(library, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toAbsolutePath().toString());
            } finally {
                Files.deleteIfExists(file);          // a loaded library stays mapped; nothing is left in /tmp
            }
            boolean avx512 = supported();
            if (!avx512) {
                LOG.debug("no AVX-512 on this CPU: decode steps use OpenBLAS and VectorGemm");
            }
            return avx512;
        } catch (IOException | LinkageError | SecurityException e) {
            LOG.warn("the native kernel did not load ({}): decode steps use OpenBLAS and VectorGemm", e.toString());
            return false;
        }
    }

    /** Whether this CPU has AVX-512 (the kernel's instructions). */
    private static native boolean supported();

    /**
     * {@code y[yOff + r·n, +n) += x[xOff + r·k + i] · W[i, ·]} for {@code i} in {@code [k0, k1)}
     * and {@code r < rows}; no checks.
     */
    private static native void accumulate(long w, int k, int n, int k0, int k1, int rows, float[] x, int xOff,
                                          float[] y, int yOff);

    /** {@code y[v] = W[v, ·] · x[xOff, xOff+k)} for {@code v} in {@code [v0, v1)}, at address y; no checks. */
    private static native void dots(long w, int k, int v0, int v1, float[] x, int xOff, long y);

    /**
     * {@code yRows[r][v] = W[v, ·] · x[xOff + r·k, +k)} for {@code v} in {@code [v0, v1)} and
     * {@code r < rows}, each sum as {@link #dots(long, int, int, int, float[], int, long)} computes it; no checks.
     */
    private static native void dotsMany(long w, int k, int v0, int v1, float[] x, int xOff, int rows, long[] yRows);
}
