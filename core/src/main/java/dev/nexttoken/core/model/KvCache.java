package dev.nexttoken.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The attention memory of one batch of sequences: the keys and values of every position seen so
 * far, for every layer, in buffers allocated once at full capacity and written in place.
 *
 * <p>A cache belongs to one generation call; it is not thread-safe and never shared between
 * callers. {@link #close()} releases its off-heap memory at once instead of waiting for the GC.
 */
public final class KvCache implements AutoCloseable {

    private final INDArray[] keys;   // per layer [B, nh, capacity, hs]
    private final INDArray[] values; // per layer [B, nh, capacity, hs]
    private final int batchSize;
    private final int capacity;
    private int length;
    private boolean closed;
    /** The logits of the last forward: owned here so a decode loop allocates nothing per step. */
    private INDArray lastLogits;
    /** Buffers of the CPU fast path for decode steps, made on first use. */
    private CpuScratch scratch;

    /**
     * Allocates an empty cache.
     *
     * @param config   the model shape
     * @param batchSize number of sequences decoded together
     * @param capacity  the most positions it will hold (at most {@code config.nPositions()})
     */
    public KvCache(Gpt2Config config, int batchSize, int capacity) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (capacity < 1 || capacity > config.nPositions()) {
            throw new IllegalArgumentException(
                    "cache capacity must be in [1, " + config.nPositions() + "], got " + capacity);
        }
        this.batchSize = batchSize;
        this.capacity = capacity;
        this.keys = new INDArray[config.nLayer()];
        this.values = new INDArray[config.nLayer()];
        for (int layer = 0; layer < config.nLayer(); layer++) {
            keys[layer] = Nd4j.create(DataType.FLOAT, batchSize, config.nHead(), capacity, config.headSize());
            values[layer] = Nd4j.create(DataType.FLOAT, batchSize, config.nHead(), capacity, config.headSize());
        }
    }

    /** Number of sequences in the batch. */
    public int batchSize() {
        return batchSize;
    }

    /** The most positions this cache can hold. */
    public int capacity() {
        return capacity;
    }

    /** Number of positions already stored. */
    public int length() {
        return length;
    }

    /** Positions still free. */
    public int remaining() {
        return capacity - length;
    }

    /**
     * Forgets the positions from {@code newLength} on, keeping the first {@code newLength}: the
     * next forward continues after them (to re-run a step, or to branch from a shared prefix).
     */
    public void truncate(int newLength) {
        checkOpen();
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("new length must be in [0, " + length + "], got " + newLength);
        }
        length = newLength;
    }

    /** Forgets every stored position, keeping the buffers for reuse. */
    public void reset() {
        checkOpen();
        length = 0;
    }

    /**
     * Makes every sequence of this cache a copy of sequence 0 of {@code source}: a prompt shared
     * by all samples is run once, at batch 1, and then copied.
     */
    public void fillFrom(KvCache source) {
        checkOpen();
        source.checkOpen();
        if (source.length > capacity) {
            throw new IllegalArgumentException("source holds " + source.length + " positions, this cache "
                    + capacity);
        }
        INDArrayIndex all = NDArrayIndex.all();
        INDArrayIndex filled = NDArrayIndex.interval(0, source.length);
        for (int layer = 0; layer < keys.length; layer++) {
            INDArray sourceKeys = source.keys[layer].get(NDArrayIndex.point(0), all, filled, all);     // [nh, L, hs]
            INDArray sourceValues = source.values[layer].get(NDArrayIndex.point(0), all, filled, all); // [nh, L, hs]
            for (int b = 0; b < batchSize; b++) {
                keys[layer].get(NDArrayIndex.point(b), all, filled, all).assign(sourceKeys);
                values[layer].get(NDArrayIndex.point(b), all, filled, all).assign(sourceValues);
            }
        }
        length = source.length;
    }

    /** Keeps {@code logits} as the last forward's result, freeing the previous one. */
    INDArray keepLogits(INDArray logits) {
        if (lastLogits != null && lastLogits != logits) {
            lastLogits.close();
        }
        lastLogits = logits;
        return logits;
    }

    CpuScratch scratch() {
        return scratch;
    }

    void scratch(CpuScratch buffers) {
        this.scratch = buffers;
    }

    INDArray keys(int layer) {
        checkOpen();
        return keys[layer];
    }

    INDArray values(int layer) {
        checkOpen();
        return values[layer];
    }

    void advance(int positions) {
        length += positions;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this KV cache is closed");
        }
    }

    /** Frees the off-heap buffers; the cache cannot be used afterwards. Safe to call twice. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        keepLogits(null);
        if (scratch != null) {
            scratch.close();
        }
        for (int layer = 0; layer < keys.length; layer++) {
            keys[layer].close();
            values[layer].close();
        }
    }
}
