package dev.nexttoken.core.model;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * The working memory of {@link CpuForwardPass} for {@code rows} positions at a time, allocated
 * once and reused by every decode step: native buffers that BLAS reads and writes, and Java
 * arrays for the small per-row steps (LayerNorm, GELU, attention, residual adds).
 */
final class CpuScratch implements AutoCloseable {

    final int rows;
    // native, row-major
    final FloatPointer normed;    // [rows, C]    BLAS input
    final FloatPointer qkv;       // [rows, 3C]
    final FloatPointer attended;  // [rows, C]
    final FloatPointer hidden;    // [rows, 4C]
    final FloatPointer projected; // [rows, C]
    final INDArray logits;        // [B, V]; null for a prefill scratch
    // Java
    final float[] x;              // [rows, C] the residual stream
    final float[] rowsC;          // [rows, C]
    final float[] rowsQkv;        // [rows, 3C]
    final float[] rows4C;         // [rows, 4C]

    private final List<INDArray> owned = new ArrayList<>();

    /**
     * @param config    model shape
     * @param rows      positions processed together ({@code B*T})
     * @param logitRows rows of the logits buffer, or 0 for none
     */
    CpuScratch(Gpt2Config config, int rows, int logitRows) {
        int c = config.nEmbd();
        this.rows = rows;
        this.normed = buffer((long) rows * c);
        this.qkv = buffer((long) rows * 3 * c);
        this.attended = buffer((long) rows * c);
        this.hidden = buffer((long) rows * 4 * c);
        this.projected = buffer((long) rows * c);
        this.logits = logitRows == 0 ? null : track(Nd4j.create(DataType.FLOAT, logitRows, config.vocabSize()));
        this.x = new float[rows * c];
        this.rowsC = new float[rows * c];
        this.rowsQkv = new float[rows * 3 * c];
        this.rows4C = new float[rows * 4 * c];
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
    }
}
