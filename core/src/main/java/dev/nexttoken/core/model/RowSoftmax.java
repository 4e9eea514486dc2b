package dev.nexttoken.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * The softmax of every row of a float32 matrix in place, spread over the cores, for the trainer's
 * loss head: {@code [rows, V]} logits blocks of a few hundred rows of the 50,257-token vocabulary,
 * ~100 M exponentials per training step at the default shape.
 *
 * <p>Why: Nd4j's {@code SoftMax} op along the last axis took ~10 % of a training step (a few hundred
 * milliseconds per 2,048 tokens; docs/TRAINING.md). Here each row is copied from the array's native
 * memory into a per-thread heap array (one bulk copy, ~200 KB: it stays in L2), softmaxed by
 * {@link VectorSoftmax} (vector loads from a heap array, a vectorized {@code exp}) and copied back;
 * rows are split over the cores by {@link ParallelRange}. Each row is computed alone, so the result
 * does not depend on the number of threads.
 *
 * <p>Uses the Vector API: callers check {@link #isAvailable()} and otherwise use Nd4j's op.
 */
public final class RowSoftmax {

    /** Rows per chunk handed to a core: a row is tens of microseconds of work. */
    private static final int MIN_ROWS_PER_CHUNK = 4;
    private static final ScratchPool<float[]> ROW = new ScratchPool<>(() -> new float[0]);

    private RowSoftmax() {
    }

    /** @return whether {@link #softmaxRows} can run (the JVM has the Vector API module) */
    public static boolean isAvailable() {
        return VectorMatmulSupport.isAvailable();
    }

    /**
     * Whether {@link #softmaxRows} takes this array: float32, row-major with contiguous rows (a
     * row interval of a row-major matrix qualifies).
     *
     * @param matrix a rank-2 array
     * @return true if its rows can be read as runs of the underlying buffer
     */
    public static boolean accepts(INDArray matrix) {
        return isAvailable() && matrix.rank() == 2 && matrix.dataType() == DataType.FLOAT
                && matrix.stride(1) == 1 && matrix.stride(0) == matrix.columns();
    }

    /**
     * Replaces every row {@code z} of {@code matrix} by {@code softmax(z)}, shifted by the row's
     * maximum.
     *
     * @param matrix {@code [rows, V]}, accepted by {@link #accepts}
     * @throws IllegalArgumentException if it is not
     */
    public static void softmaxRows(INDArray matrix) {
        if (!accepts(matrix)) {
            throw new IllegalArgumentException("needs a row-major float32 matrix with contiguous rows");
        }
        int rows = (int) matrix.rows();
        int width = (int) matrix.columns();
        FloatBuffer data = matrix.data().asNioFloat();                      // the whole buffer; absolute access only
        long base = matrix.offset();
        ParallelRange.run(rows, MIN_ROWS_PER_CHUNK, (from, to) -> {
            float[] row = ROW.take();
            if (row.length < width) {
                row = new float[width];
            }
            for (int r = from; r < to; r++) {
                int start = Math.toIntExact(base + (long) r * width);
                data.get(start, row, 0, width);
                VectorSoftmax.softmax(row, 0, width);
                data.put(start, row, 0, width);
            }
            ROW.give(row);
        });
    }
}
