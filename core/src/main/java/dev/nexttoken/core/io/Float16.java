package dev.nexttoken.core.io;

/**
 * Conversions between float32 and the two 16-bit float formats of safetensors files: IEEE 754
 * half precision ({@code F16}) and bfloat16 ({@code BF16}). Narrowing rounds to nearest, ties
 * to even, as numpy and PyTorch do; widening is exact.
 */
public final class Float16 {

    private Float16() {
    }

    /** Every half-precision bit pattern widened to float32: 256 KB, built on first use. */
    private static final class HalfTable {
        static final float[] VALUES = new float[1 << 16];

        static {
            for (int bits = 0; bits < VALUES.length; bits++) {
                VALUES[bits] = computeHalfToFloat(bits);
            }
        }
    }

    /**
     * @param bits a half-precision bit pattern in the low 16 bits (higher bits are ignored)
     * @return its exact float32 value
     */
    public static float halfToFloat(int bits) {
        return HalfTable.VALUES[bits & 0xFFFF];
    }

    /**
     * @param bits a bfloat16 bit pattern in the low 16 bits (higher bits are ignored)
     * @return its exact float32 value
     */
    public static float bf16ToFloat(int bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * @param value a float32
     * @return the nearest half-precision value (ties to even); beyond ±65504 it becomes ±infinity,
     * a NaN stays a (quiet) NaN
     */
    public static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xFF;
        int mantissa = bits & 0x7FFFFF;
        if (exponent == 0xFF) {                                   // infinity or NaN
            return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1F) {                               // too large: infinity
            return (short) (sign | 0x7C00);
        }
        if (halfExponent <= 0) {                                  // a subnormal half, or zero
            int significand = mantissa | 0x800000;               // with the implicit leading 1
            int shift = 14 - halfExponent;                        // value = significand >> shift units of 2^-24
            if (exponent == 0 || shift > 24) {
                return (short) sign;                              // below half of the smallest subnormal
            }
            int half = significand >>> shift;
            int rest = significand & ((1 << shift) - 1);
            int midpoint = 1 << (shift - 1);
            if (rest > midpoint || (rest == midpoint && (half & 1) != 0)) {
                half++;                                           // may carry into the smallest normal: correct
            }
            return (short) (sign | half);
        }
        int half = sign | (halfExponent << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++;                                               // may carry into the exponent, up to infinity
        }
        return (short) half;
    }

    /**
     * @param value a float32
     * @return the nearest bfloat16 value (ties to even); a NaN stays a (quiet) NaN
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    private static float computeHalfToFloat(int bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0) {                                      // zero or subnormal: mantissa * 2^-24
            float magnitude = Math.scalb((float) mantissa, -24);
            return sign != 0 ? -magnitude : magnitude;
        }
        if (exponent == 0x1F) {                                   // infinity or NaN (payload kept)
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }
}
