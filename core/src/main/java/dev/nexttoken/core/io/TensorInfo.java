package dev.nexttoken.core.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a safetensors header: a tensor's name, element type, shape and where its bytes
 * lie.
 *
 * @param name  the tensor's name as written in the file
 * @param dtype its element type
 * @param shape its dimensions, outermost first (row-major); empty for a scalar
 * @param begin the offset of its first byte, relative to the start of the data section
 * @param end   the offset just past its last byte, relative to the start of the data section
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {

    /**
     * Copies the shape, so that the record stays immutable.
     *
     * @param name  the tensor's name
     * @param dtype its element type
     * @param shape its dimensions (copied)
     * @param begin first byte, relative to the data section
     * @param end   one past the last byte, relative to the data section
     */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /** @return a copy of the dimensions */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** @return the number of elements: the product of the shape (1 for a scalar) */
    public long elementCount() {
        long count = 1;
        for (long dim : shape) {
            count *= dim;
        }
        return count;
    }

    /** @return the number of bytes of data, {@code end - begin} */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name) && dtype == that.dtype && Arrays.equals(shape, that.shape)
                && begin == that.begin && end == that.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
