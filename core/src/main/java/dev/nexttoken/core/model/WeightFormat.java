package dev.nexttoken.core.model;

/**
 * How the numbers of a weight matrix are stored, in memory as in a safetensors file. The
 * products read every format in place and accumulate in float32: fewer bytes per weight means
 * fewer bytes to read per decoded token, which is what limits decoding speed on a CPU.
 */
public enum WeightFormat {
    /** IEEE 754 single precision, 4 bytes a weight: the reference. */
    F32(4),
    /** IEEE 754 half precision, 2 bytes a weight (11 significant bits, range ±65504). */
    F16(2),
    /** bfloat16, the upper half of a float32, 2 bytes a weight (8 significant bits, float32's range). */
    BF16(2),
    /**
     * 8-bit block quantization (as llama.cpp's Q8_0): each column of the matrix (its first axis)
     * is cut into blocks of {@link #Q8_BLOCK} consecutive values, the last block possibly shorter;
     * a block keeps one scale {@code d = max|w| / 127}, rounded to float16, and its values as
     * signed bytes {@code q = round(w / d)} in {@code [-127, 127]} (all 0 when {@code d} is 0);
     * a weight reads as {@code q · d}. The bytes {@code [rows, cols]} and the float16 scales
     * {@code [ceil(rows / 32), cols]} are two arrays. About 1.06 bytes a weight. For GPT-2's
     * Conv1D matrices {@code [in, out]} the blocks run along the axis the products sum over, so
     * the native kernels can multiply a whole block in integers (docs/FORMATS.md).
     */
    Q8(1);

    /** Values per scale in {@link #Q8}. */
    public static final int Q8_BLOCK = 32;

    private final int bytesPerWeight;

    WeightFormat(int bytesPerWeight) {
        this.bytesPerWeight = bytesPerWeight;
    }

    /** @return the bytes of one value (for {@link #Q8}, without its share of the scales) */
    public int bytesPerWeight() {
        return bytesPerWeight;
    }

    /** @return the number of {@link #Q8} blocks (rows of scales) of a matrix of {@code rows} rows */
    public static int q8Blocks(int rows) {
        return (rows + Q8_BLOCK - 1) / Q8_BLOCK;
    }
}
