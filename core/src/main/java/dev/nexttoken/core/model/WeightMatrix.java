package dev.nexttoken.core.model;

import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.io.Float16;
import dev.nexttoken.core.io.SafetensorsFile.RawTensor;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One weight matrix {@code [rows, cols]}, row-major, in memory in a {@link WeightFormat}: the
 * address of its values (and, for {@link WeightFormat#Q8}, of its float16 scales
 * {@code [ceil(rows / 32), cols]}: one per 32 rows of a column), as the kernels read it in place. It either owns its memory
 * (Nd4j {@code BYTE} arrays, freed by {@link #close()}), or borrows it from a float32 array or a
 * mapped file, which the caller keeps alive.
 *
 * <p>It is also where the formats' arithmetic lives, in one place: {@link #fromFloats} rounds to
 * float16 / bfloat16 (to nearest, ties to even) or quantizes to Q8 with the rule in
 * {@link WeightFormat#Q8} (as llama.cpp's Q8_0: {@code d = max|w| / 127}, {@code q = round(w / d)}
 * half away from zero, the scale stored as float16), and {@link #widenRow} reads any format back
 * as float32 (exactly {@code q · d} for Q8).
 */
final class WeightMatrix implements AutoCloseable {

    /** The suffix of a Q8 matrix's scales tensor after the matrix's own name (docs/FORMATS.md). */
    static final String Q8_SCALES = ".q8_scales";

    private final WeightFormat format;
    private final int rows;
    private final int cols;
    private final ByteBuffer data;
    private final ByteBuffer scales;
    private final long address;
    private final long scalesAddress;
    /** Memory this matrix frees on close; the borrowed source otherwise (kept reachable). */
    private final List<INDArray> owned;
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private final Object borrowed;

    private WeightMatrix(WeightFormat format, int rows, int cols, ByteBuffer data, ByteBuffer scales,
                         List<INDArray> owned, Object borrowed) {
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.scales = scales == null ? null : scales.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.address = address(this.data);
        this.scalesAddress = scales == null ? 0 : address(this.scales);
        this.owned = owned;
        this.borrowed = borrowed;
        long expected = (long) rows * cols * format.bytesPerWeight();
        if (this.data.remaining() < expected) {
            throw new IllegalArgumentException(format + " [" + rows + ", " + cols + "] needs " + expected
                    + " bytes, has " + this.data.remaining());
        }
        if (format == WeightFormat.Q8 && (this.scales == null || this.scales.remaining() < scaleCount(rows, cols) * 2)) {
            throw new IllegalArgumentException("a Q8 matrix needs its float16 scales [" + WeightFormat.q8Blocks(rows)
                    + ", " + cols + "]");
        }
    }

    /** A float32 matrix over the memory of a contiguous, c-order FLOAT array, which the caller keeps alive. */
    static WeightMatrix borrow(INDArray array) {
        if (array.dataType() != DataType.FLOAT || array.rank() != 2 || array.isView() || array.ordering() != 'c'
                || array.length() != array.data().length()) {
            throw new IllegalArgumentException("needs a contiguous c-order FLOAT matrix, not " + array.shapeInfoToString());
        }
        return new WeightMatrix(WeightFormat.F32, (int) array.size(0), (int) array.size(1),
                VectorMatmulSupport.bytes(array), null, List.of(), array);
    }

    /**
     * A matrix over stored bytes (read from or mapped over a file).
     *
     * @param owner the arrays holding {@code data} and {@code scales}, freed by {@link #close()};
     *              empty when they are borrowed (a mapped file), then kept reachable through {@code keep}
     */
    static WeightMatrix of(WeightFormat format, int rows, int cols, ByteBuffer data, ByteBuffer scales,
                           List<INDArray> owner, Object keep) {
        return new WeightMatrix(format, rows, cols, data, scales, List.copyOf(owner), keep);
    }

    /** The number of float16 scales of a Q8 matrix {@code [rows, cols]}. */
    static long scaleCount(int rows, int cols) {
        return (long) WeightFormat.q8Blocks(rows) * cols;
    }

    /**
     * The float32 matrix {@code source [rows, cols]} in {@code format}, in new memory this matrix
     * owns: rounded (F16, BF16) row by row or quantized (Q8) block row by block row (32 rows) over
     * the cores; for F32, a copy.
     */
    static WeightMatrix fromFloats(WeightFormat format, INDArray source) {
        int rows = (int) source.size(0);
        int cols = (int) source.size(1);
        ByteBuffer in = VectorMatmulSupport.bytes(source.dataType() == DataType.FLOAT && !source.isView()
                && source.ordering() == 'c' ? source : source.castTo(DataType.FLOAT).dup('c'));
        INDArray values = bytes((long) rows * cols * format.bytesPerWeight());
        INDArray scaleArray = format == WeightFormat.Q8 ? bytes(scaleCount(rows, cols) * 2) : null;
        ByteBuffer out = view(values);
        ByteBuffer scaleOut = scaleArray == null ? null : view(scaleArray);
        int unit = format == WeightFormat.Q8 ? WeightFormat.Q8_BLOCK : 1;     // rows encoded together
        ParallelRange.run((rows + unit - 1) / unit, 64 / unit, (from, to) -> {
            float[] block = new float[unit * cols];
            for (int u = from; u < to; u++) {
                int r0 = u * unit;
                int count = Math.min(unit, rows - r0);
                in.duplicate().order(ByteOrder.nativeOrder()).position(r0 * cols * Float.BYTES).asFloatBuffer()
                        .get(block, 0, count * cols);
                if (format == WeightFormat.Q8) {
                    encodeQ8Block(block, count, cols, out, (long) r0 * cols, scaleOut, (long) u * cols);
                } else {
                    encodeRow(format, block, cols, out, (long) r0 * cols);
                }
            }
        });
        List<INDArray> owner = scaleArray == null ? List.of(values) : List.of(values, scaleArray);
        return new WeightMatrix(format, rows, cols, out, scaleOut, owner, null);
    }

    /**
     * {@code count} rows (1 to 32, one block row) of {@code cols} floats as Q8 at element {@code at}
     * of {@code out}, their scales (one per column) at element {@code scaleAt} of {@code scales}.
     */
    private static void encodeQ8Block(float[] block, int count, int cols, ByteBuffer out, long at, ByteBuffer scales,
                                      long scaleAt) {
        for (int j = 0; j < cols; j++) {
            float amax = 0f;
            for (int r = 0; r < count; r++) {
                amax = Math.max(amax, Math.abs(block[r * cols + j]));
            }
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            for (int r = 0; r < count; r++) {
                out.put((int) (at + (long) r * cols + j), quantize(block[r * cols + j] * id));
            }
            scales.putShort((int) ((scaleAt + j) * 2), Float16.floatToHalf(d));
        }
    }

    /** One row of {@code cols} floats in {@code format} (not Q8) at element {@code at} of {@code out}. */
    private static void encodeRow(WeightFormat format, float[] row, int cols, ByteBuffer out, long at) {
        switch (format) {
            case F32 -> {
                for (int j = 0; j < cols; j++) {
                    out.putFloat((int) ((at + j) * 4), row[j]);
                }
            }
            case F16 -> {
                for (int j = 0; j < cols; j++) {
                    out.putShort((int) ((at + j) * 2), Float16.floatToHalf(row[j]));
                }
            }
            case BF16 -> {
                for (int j = 0; j < cols; j++) {
                    out.putShort((int) ((at + j) * 2), Float16.floatToBf16(row[j]));
                }
            }
            default -> throw new AssertionError(format);
        }
    }

    /** {@code round(v)} half away from zero (C's {@code roundf}, as llama.cpp), clamped to [-127, 127]. */
    static byte quantize(float v) {
        double rounded = Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
        return (byte) Math.max(-127, Math.min(127, (int) rounded));
    }

    /** @return the format of the values */
    WeightFormat format() {
        return format;
    }

    /** @return the number of rows (the first axis as stored; Q8 blocks run along it) */
    int rows() {
        return rows;
    }

    /** @return the number of columns (the last axis as stored) */
    int cols() {
        return cols;
    }

    /** @return the address of the first value */
    long address() {
        return address;
    }

    /** @return the address of the first float16 scale ({@link WeightFormat#Q8}), else 0 */
    long scalesAddress() {
        return scalesAddress;
    }

    /** @return the values' bytes, little-endian, index 0 at the first value (a new view) */
    ByteBuffer bytes() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** @return the bytes this matrix takes in memory, scales included */
    long byteSize() {
        return (long) rows * cols * format.bytesPerWeight()
                + (format == WeightFormat.Q8 ? scaleCount(rows, cols) * 2 : 0);
    }

    /**
     * {@code out[off + j - c0] = W[r, j]} as float32 for {@code j} in {@code [c0, c1)}: exact for
     * every format ({@code q · d} for Q8). For many rows, a {@link #reader} saves its scratch.
     */
    void widenRow(int r, int c0, int c1, float[] out, int off) {
        reader(c1 - c0).read(r, c0, c1, out, off);
    }

    /** A reader of up to {@code width} values of a row at a time, for one thread. */
    RowReader reader(int width) {
        return new RowReader(width);
    }

    /**
     * Widens rows of this matrix with bulk copies of their stored values into reused Java arrays
     * (one {@code memcpy} each), then a loop the JIT can vectorise: not thread-safe, one per thread.
     */
    final class RowReader {
        private final short[] shorts;
        private final byte[] bytes;

        private RowReader(int width) {
            this.shorts = format != WeightFormat.F32 ? new short[width] : null;
            this.bytes = format == WeightFormat.Q8 ? new byte[width] : null;
        }

        /** {@code out[off + j - c0] = W[r, j]} as float32 for {@code j} in {@code [c0, c1)}, {@code c1 - c0} at most the width. */
        void read(int r, int c0, int c1, float[] out, int off) {
            long base = (long) r * cols;
            int n = c1 - c0;
            switch (format) {
                case F32 -> data.asFloatBuffer().get((int) (base + c0), out, off, n);
                case F16 -> {
                    data.asShortBuffer().get((int) (base + c0), shorts, 0, n);
                    for (int j = 0; j < n; j++) {
                        out[off + j] = Float16.halfToFloat(shorts[j]);
                    }
                }
                case BF16 -> {
                    data.asShortBuffer().get((int) (base + c0), shorts, 0, n);
                    for (int j = 0; j < n; j++) {
                        out[off + j] = Float.intBitsToFloat(shorts[j] << 16);
                    }
                }
                case Q8 -> {
                    data.get((int) (base + c0), bytes, 0, n);
                    scales.asShortBuffer().get((r / WeightFormat.Q8_BLOCK) * cols + c0, shorts, 0, n);
                    for (int j = 0; j < n; j++) {
                        out[off + j] = bytes[j] * Float16.halfToFloat(shorts[j]);
                    }
                }
                default -> throw new AssertionError(format);
            }
        }
    }

    /** Rows {@code [r0, r1)} as float32 into {@code out} from {@code off}, row after row. */
    void widen(long r0, long r1, float[] out, int off) {
        RowReader reader = reader(cols);
        for (long r = r0; r < r1; r++) {
            reader.read((int) r, 0, cols, out, (int) (off + (r - r0) * cols));
        }
    }

    /** Rows {@code [r0, r1)} as float32 into native memory at address {@code out}. */
    void widen(long r0, long r1, long out) {
        ParallelRange.run((int) (r1 - r0), 16, (from, to) -> {
            float[] row = new float[cols];
            RowReader reader = reader(cols);
            for (int r = from; r < to; r++) {
                reader.read((int) (r0 + r), 0, cols, row, 0);
                floatsAt(out + (long) r * cols * Float.BYTES, cols).put(row, 0, cols);
            }
        });
    }

    /** The whole matrix as a new float32 array {@code [rows, cols]}, which the caller owns. */
    INDArray toFloatArray() {
        INDArray result = Nd4j.createUninitialized(DataType.FLOAT, new long[]{rows, cols}, 'c');
        widen(0, rows, result.data().address());
        return result;
    }

    /**
     * The tensors this matrix is stored as in a safetensors file under {@code name}: one of dtype
     * F32, F16 or BF16 {@code [rows, cols]}, or for Q8 {@code name} as I8 {@code [rows, cols]} and
     * {@code name + ".q8_scales"} as F16 {@code [ceil(rows / 32), cols]} (docs/FORMATS.md).
     */
    Map<String, RawTensor> toRawTensors(String name) {
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        long[] shape = {rows, cols};
        ByteBuffer values = bytes().limit((int) ((long) rows * cols * format.bytesPerWeight()));
        tensors.put(name, new RawTensor(dtype(format), shape, values));
        if (format == WeightFormat.Q8) {
            ByteBuffer s = scales.duplicate().order(ByteOrder.LITTLE_ENDIAN).limit((int) (scaleCount(rows, cols) * 2));
            tensors.put(name + Q8_SCALES, new RawTensor(Dtype.F16, new long[]{WeightFormat.q8Blocks(rows), cols}, s));
        }
        return tensors;
    }

    /** The safetensors dtype a format's values are stored as (I8 for Q8). */
    static Dtype dtype(WeightFormat format) {
        return switch (format) {
            case F32 -> Dtype.F32;
            case F16 -> Dtype.F16;
            case BF16 -> Dtype.BF16;
            case Q8 -> Dtype.I8;
        };
    }

    /** Frees the memory this matrix owns (nothing for a borrowed one). Safe to call twice. */
    @Override
    public void close() {
        for (INDArray array : owned) {
            if (!array.wasClosed()) {
                array.close();
            }
        }
    }

    @Override
    public String toString() {
        return "WeightMatrix[" + format + " " + rows + "x" + cols + "]";
    }

    // ------------------------------------------------------------------------------------------

    /** A new, uninitialised Nd4j byte array of {@code length} bytes (at least 1). */
    static INDArray bytes(long length) {
        return Nd4j.createUninitialized(DataType.BYTE, new long[]{Math.max(1, length)}, 'c');
    }

    /** A little-endian buffer over all the bytes of a {@code BYTE} array. */
    static ByteBuffer view(INDArray byteArray) {
        long length = byteArray.length();
        return new BytePointer(byteArray.data().addressPointer()).capacity(length).limit(length).asByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The address of a direct buffer's first byte (its index 0). */
    static long address(ByteBuffer buffer) {
        Pointer pointer = new Pointer(buffer);
        return pointer.address() + pointer.position();
    }

    /** A float buffer over {@code count} floats of native memory at {@code address}. */
    static java.nio.FloatBuffer floatsAt(long at, long count) {
        Pointer p = new Pointer() {
            {
                this.address = at;
            }
        };
        return new FloatPointer(p).capacity(count).limit(count).asBuffer();
    }

    /** Checks that {@code matrix} is {@code [rows, cols]}. */
    static WeightMatrix requireShape(WeightMatrix matrix, int rows, int cols) {
        Objects.requireNonNull(matrix, "matrix");
        if (matrix.rows != rows || matrix.cols != cols) {
            throw new IllegalArgumentException(matrix + " is not [" + rows + ", " + cols + "]");
        }
        return matrix;
    }

    /** Keeps {@code arrays} in a new mutable list (a helper for callers building owners). */
    static List<INDArray> list(INDArray... arrays) {
        return new ArrayList<>(List.of(arrays));
    }
}
