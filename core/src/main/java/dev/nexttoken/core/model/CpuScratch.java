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
 * pay to map fresh memory), and native buffers that BLAS reads and writes (and one into which a 16- or 8-bit matrix is
 * widened for a prompt), made only when they are needed. A decode step's scratch lives as long as its cache and is reused by every step.
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
    private FloatPointer blasIn;
    private FloatPointer blasOut;
    private INDArray widened;

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

    /** The native input of a BLAS product, {@code floats} ≤ {@code rows · 4C}, made on first use. */
    FloatPointer blasIn(long floats) {
        if (blasIn == null) {
            blasIn = buffer(Math.max(floats, (long) rows * 4 * config.nEmbd()));
        }
        return check(blasIn, floats);
    }

    /** The native output of a BLAS product, {@code floats} ≤ {@code rows · 4C}, made on first use. */
    FloatPointer blasOut(long floats) {
        if (blasOut == null) {
            blasOut = buffer(Math.max(floats, (long) rows * 4 * config.nEmbd()));
        }
        return check(blasOut, floats);
    }

    /**
     * A float32 buffer of at least {@code floats} (≤ {@code 4C²}) floats into which a 16- or 8-bit
     * weight matrix is widened for a prompt's product, made on first use.
     */
    INDArray widened(long floats) {
        if (widened == null) {
            long c = config.nEmbd();
            widened = track(Nd4j.create(DataType.FLOAT, Math.max(floats, 4 * c * c)));
        }
        if (widened.length() < floats) {
            throw new IllegalArgumentException("the widening buffer holds " + widened.length() + " floats, not " + floats);
        }
        return widened;
    }

    private static FloatPointer check(FloatPointer buffer, long floats) {
        if (buffer.capacity() < floats) {
            throw new IllegalArgumentException("the BLAS buffer holds " + buffer.capacity() + " floats, not " + floats);
        }
        return new FloatPointer(buffer);
    }

    private FloatPointer buffer(long length) {
        return new FloatPointer(track(Nd4j.create(DataType.FLOAT, length)).data().addressPointer()).capacity(length);
    }

    private INDArray track(INDArray array) {
        owned.add(array);
        return array;
    }

    @Override
    public void close() {
        owned.forEach(INDArray::close);
        owned.clear();
        blasIn = null;
        blasOut = null;
        widened = null;
        FloatArrayPool.SHARED.give(x);
        FloatArrayPool.SHARED.give(rowsC);
        FloatArrayPool.SHARED.give(rowsQkv);
        FloatArrayPool.SHARED.give(rows4C);
    }
}
