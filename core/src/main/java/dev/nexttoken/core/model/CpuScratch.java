package dev.nexttoken.core.model;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * The working memory of {@link CpuForwardPass} for {@code rows} positions at a time: Java arrays
 * for everything computed in Java (recycled through {@link FloatArrayPool}, so a prompt does not
 * pay to map fresh memory), and native buffers that BLAS reads and writes, made only when a BLAS
 * product runs. A decode step's scratch lives as long as its cache and is reused by every step.
 */
final class CpuScratch implements AutoCloseable {

    final int rows;
    final INDArray logits;        // [B, V]; null for a prompt's scratch
    // Java: row r of each at r * width; the arrays may be longer than rows * width
    final float[] x;              // [rows, C] the residual stream
    final float[] rowsC;          // [rows, C]
    final float[] rowsQkv;        // [rows, 3C]
    final float[] rows4C;         // [rows, 4C]

    private final Gpt2Config config;
    private final List<INDArray> owned = new ArrayList<>();
    private Native blas;

    /** The native buffers of the BLAS products, row-major. */
    static final class Native {
        final FloatPointer normed;    // [rows, C]    BLAS input
        final FloatPointer qkv;       // [rows, 3C]
        final FloatPointer attended;  // [rows, C]
        final FloatPointer hidden;    // [rows, 4C]
        final FloatPointer projected; // [rows, C]

        private Native(CpuScratch s, int rows, int c) {
            normed = s.buffer((long) rows * c);
            qkv = s.buffer((long) rows * 3 * c);
            attended = s.buffer((long) rows * c);
            hidden = s.buffer((long) rows * 4 * c);
            projected = s.buffer((long) rows * c);
        }
    }

    /**
     * @param config    model shape
     * @param rows      positions processed together ({@code B*T})
     * @param logitRows rows of the logits buffer, or 0 for none
     */
    CpuScratch(Gpt2Config config, int rows, int logitRows) {
        int c = config.nEmbd();
        this.config = config;
        this.rows = rows;
        this.logits = logitRows == 0 ? null : track(Nd4j.create(DataType.FLOAT, logitRows, config.vocabSize()));
        this.x = FloatArrayPool.SHARED.take(rows * c);
        this.rowsC = FloatArrayPool.SHARED.take(rows * c);
        this.rowsQkv = FloatArrayPool.SHARED.take(rows * 3 * c);
        this.rows4C = FloatArrayPool.SHARED.take(rows * 4 * c);
    }

    /** The native buffers, made on first use. */
    Native blas() {
        if (blas == null) {
            blas = new Native(this, rows, config.nEmbd());
        }
        return blas;
    }

    private FloatPointer buffer(long length) {
        return new FloatPointer(track(Nd4j.create(DataType.FLOAT, length)).data().addressPointer());
    }

    private INDArray track(INDArray array) {
        owned.add(array);
        return array;
    }

    @Override
    public void close() {
        owned.forEach(INDArray::close);
        owned.clear();
        blas = null;
        FloatArrayPool.SHARED.give(x);
        FloatArrayPool.SHARED.give(rowsC);
        FloatArrayPool.SHARED.give(rowsQkv);
        FloatArrayPool.SHARED.give(rows4C);
    }
}
