package dev.nexttoken.sampling;

import java.nio.FloatBuffer;
import java.util.Arrays;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bulk copies between a {@code [batch, vocab]} INDArray and Java rows.
 *
 * <p>Fast path (float32 rows with unit column stride, the usual case, views included): one bulk
 * {@link FloatBuffer} copy per row over the array's host buffer.
 * Before reading, the host copy is made current and after writing it is tagged as the newest copy
 * ({@link AffinityManager}), which is a no-op on the CPU backend and keeps the CUDA backend's
 * device copy in step. Other layouts or data types take a slow path through a temporary array.
 * Never per-element JNI ({@code DataBuffer.asFloat()}, {@code setData}) nor an Nd4j allocation
 * per row: each costs many times the bulk copy (docs/PERFORMANCE.md).
 */
final class LogitsArrays {

    private LogitsArrays() {
    }

    /** Checks the shape of the logits against the context. */
    static void checkMatches(LogitsContext context, INDArray logits) {
        if (logits == null) {
            throw new IllegalArgumentException("logits must not be null");
        }
        if (logits.rank() != 2) {
            throw new IllegalArgumentException("logits must be a [batch, vocab] matrix, got shape "
                    + Arrays.toString(logits.shape()));
        }
        if (context != null && (logits.rows() != context.batchSize() || logits.columns() != context.vocabSize())) {
            throw new IllegalArgumentException("logits of shape " + Arrays.toString(logits.shape())
                    + " do not match the context (batch " + context.batchSize() + ", vocabulary "
                    + context.vocabSize() + ")");
        }
    }

    /** Copies the logits into new Java rows. */
    static float[][] read(INDArray logits) {
        checkMatches(null, logits);
        float[][] rows = new float[(int) logits.rows()][(int) logits.columns()];
        read(logits, rows);
        return rows;
    }

    /** Copies the logits into existing Java rows of the same shape. */
    static void read(INDArray logits, float[][] rows) {
        int vocab = (int) logits.columns();
        if (!isFastLayout(logits)) {
            INDArray copy = logits.castTo(DataType.FLOAT).dup('c');
            read(copy, rows);
            return;
        }
        Nd4j.getAffinityManager().ensureLocation(logits, AffinityManager.Location.HOST);
        FloatBuffer buffer = logits.data().asNioFloat();
        int base = buffer.position();
        long rowStride = logits.stride(0);
        for (int r = 0; r < rows.length; r++) {
            buffer.get((int) (base + r * rowStride), rows[r], 0, vocab);
        }
    }

    /** Writes Java rows into the logits (same shape). */
    static void write(float[][] rows, INDArray logits) {
        int vocab = (int) logits.columns();
        if (!isFastLayout(logits) || (rows.length > 1 && logits.stride(0) < vocab)) {
            logits.assign(Nd4j.createFromArray(rows).castTo(logits.dataType()));
            return;
        }
        FloatBuffer buffer = logits.data().asNioFloat();
        int base = buffer.position();
        long rowStride = logits.stride(0);
        for (int r = 0; r < rows.length; r++) {
            buffer.put((int) (base + r * rowStride), rows[r], 0, vocab);
        }
        Nd4j.getAffinityManager().tagLocation(logits, AffinityManager.Location.HOST);
    }

    private static boolean isFastLayout(INDArray logits) {
        return logits.dataType() == DataType.FLOAT
                && logits.data().dataType() == DataType.FLOAT
                && (logits.columns() == 1 || logits.stride(1) == 1)
                && logits.data().length() + logits.data().offset() <= Integer.MAX_VALUE;
    }
}
