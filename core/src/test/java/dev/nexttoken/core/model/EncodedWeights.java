package dev.nexttoken.core.model;

import org.bytedeco.javacpp.BytePointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A matrix {@code [rows, cols]} stored in one {@link WeightFormat} in native memory, for the
 * native kernels' tests, with its values as the format reads them ({@link #decoded}), computed in
 * Java independently of the kernels: F16 and BF16 round to nearest even; Q8 follows
 * {@link WeightFormat#Q8}'s rule (blocks of 32 down each column, {@code d = max|w| / 127} rounded
 * to float16, {@code q = round(w / d)} in {@code [-127, 127]}, a value reads {@code q · d}).
 */
final class EncodedWeights implements AutoCloseable {

    final WeightFormat format;
    final int rows;
    final int cols;
    /** The values as the format reads them, row-major: the reference. */
    final float[] decoded;
    private final BytePointer data;
    private final BytePointer scales;

    EncodedWeights(WeightFormat format, float[] values, int rows, int cols) {
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.decoded = new float[rows * cols];
        ByteBuffer bytes = ByteBuffer.allocate(rows * cols * format.bytesPerWeight()).order(ByteOrder.nativeOrder());
        ByteBuffer scaleBytes = null;
        switch (format) {
            case F32 -> {
                for (int i = 0; i < values.length; i++) {
                    bytes.putFloat(values[i]);
                    decoded[i] = values[i];
                }
            }
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    short half = floatToHalf(values[i]);
                    bytes.putShort(half);
                    decoded[i] = halfToFloat(half);
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    short b = floatToBf16(values[i]);
                    bytes.putShort(b);
                    decoded[i] = Float.intBitsToFloat((b & 0xFFFF) << 16);
                }
            }
            case Q8 -> {
                int blocks = WeightFormat.q8Blocks(rows);
                scaleBytes = ByteBuffer.allocate(blocks * cols * 2).order(ByteOrder.nativeOrder());
                for (int b = 0; b < blocks; b++) {
                    int r0 = b * WeightFormat.Q8_BLOCK;
                    int r1 = Math.min(rows, r0 + WeightFormat.Q8_BLOCK);
                    for (int j = 0; j < cols; j++) {
                        float max = 0;
                        for (int r = r0; r < r1; r++) {
                            max = Math.max(max, Math.abs(values[r * cols + j]));
                        }
                        short half = floatToHalf(max / 127f);
                        float d = halfToFloat(half);
                        scaleBytes.putShort(half);
                        for (int r = r0; r < r1; r++) {
                            int i = r * cols + j;
                            int q = d == 0 ? 0 : (int) Math.max(-127, Math.min(127, Math.round(values[i] / d)));
                            bytes.put(i, (byte) q);
                            decoded[i] = q * d;                     // exact: 8 by 11 significant bits
                        }
                    }
                }
            }
        }
        this.data = pointer(bytes);
        this.scales = scaleBytes == null ? null : pointer(scaleBytes);
    }

    /** A random {@code [rows, cols]} matrix, uniform in [-1, 1), in {@code format}. */
    static EncodedWeights random(WeightFormat format, java.util.Random random, int rows, int cols) {
        return new EncodedWeights(format, VectorLmHeadTest.randomFloats(random, rows * cols), rows, cols);
    }

    /** The address of the values. */
    long address() {
        return data.address();
    }

    /** The address of the Q8 scales, else 0. */
    long scales() {
        return scales == null ? 0 : scales.address();
    }

    @Override
    public void close() {
        data.close();
        if (scales != null) {
            scales.close();
        }
    }

    private static BytePointer pointer(ByteBuffer bytes) {
        BytePointer pointer = new BytePointer(Math.max(1, bytes.capacity()));
        pointer.put(bytes.array(), 0, bytes.capacity());
        return pointer;
    }

    /** The exact value of a float16 bit pattern. */
    static float halfToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0) {
            float magnitude = Math.scalb((float) mantissa, -24);
            return sign != 0 ? -magnitude : magnitude;
        }
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }

    /** The nearest float16 (ties to even), through double: exact for the finite values the tests use. */
    static short floatToHalf(float value) {
        int sign = Float.floatToRawIntBits(value) < 0 ? 0x8000 : 0;
        double magnitude = Math.abs((double) value);
        if (magnitude >= 65520) {
            return (short) (sign | 0x7C00);
        }
        if (magnitude < 0x1p-14) {                                      // subnormal: units of 2^-24
            return (short) (sign | (int) Math.rint(magnitude * 0x1p24));
        }
        int exponent = Math.getExponent(magnitude);
        double ulp = Math.scalb(1.0, exponent - 10);
        long units = (long) Math.rint(magnitude / ulp);                  // 1024..2048 units of this binade's ulp
        if (units == 2048) {
            units = 1024;
            exponent++;
        }
        if (exponent > 15) {
            return (short) (sign | 0x7C00);
        }
        return (short) (sign | ((exponent + 15) << 10) | (int) (units - 1024));
    }

    /** The nearest bfloat16 (ties to even) of a finite float. */
    static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
