package dev.nexttoken.core.io;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The element types a safetensors header can name, with their size in bytes.
 *
 * <p>Every type of the safetensors format is known here, so that a header is validated whatever
 * it holds (a {@code BOOL} or {@code U8} causal-mask buffer, say). Only {@link #F32},
 * {@link #F16} and {@link #BF16} can be {@linkplain SafetensorsFile#load(String) loaded} as
 * weights; they are converted to float32, the compute type.
 */
public enum Dtype {
    /** Boolean, one byte. */
    BOOL(1),
    /** Unsigned 8-bit integer. */
    U8(1),
    /** Signed 8-bit integer. */
    I8(1),
    /** 8-bit float, 5 exponent and 2 mantissa bits. */
    F8_E5M2(1),
    /** 8-bit float, 4 exponent and 3 mantissa bits. */
    F8_E4M3(1),
    /** Signed 16-bit integer. */
    I16(2),
    /** Unsigned 16-bit integer. */
    U16(2),
    /** IEEE 754 half precision float. */
    F16(2),
    /** bfloat16: the upper 16 bits of a float32. */
    BF16(2),
    /** Signed 32-bit integer. */
    I32(4),
    /** Unsigned 32-bit integer. */
    U32(4),
    /** IEEE 754 single precision float. */
    F32(4),
    /** IEEE 754 double precision float. */
    F64(8),
    /** Signed 64-bit integer. */
    I64(8),
    /** Unsigned 64-bit integer. */
    U64(8);

    private final int byteSize;

    Dtype(int byteSize) {
        this.byteSize = byteSize;
    }

    /** @return the size of one element in bytes */
    public int byteSize() {
        return byteSize;
    }

    /** @return whether {@link SafetensorsFile#load(String)} can turn this type into float32 */
    public boolean isLoadable() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * @param name a dtype as written in a safetensors header, such as {@code "F32"}
     * @return the matching type, or empty if the name is not a safetensors dtype
     */
    public static Optional<Dtype> fromHeaderName(String name) {
        for (Dtype dtype : values()) {
            if (dtype.name().equals(name)) {
                return Optional.of(dtype);
            }
        }
        return Optional.empty();
    }

    /** @return the names of all types, for error messages */
    static String allNames() {
        return Arrays.stream(values()).map(Dtype::name).collect(Collectors.joining(", "));
    }
}
