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
 * <p>The buffers are made on first use, by the compute path that runs the model: off-heap Nd4j
 * arrays {@code [B, nh, capacity, hs]} for the Nd4j-ops path (the one CUDA runs), Java arrays
 * for the CPU path, whose attention loops run on arrays at full vector width (keys transposed,
 * {@code [B, nh, hs, capacity]}, values {@code [B, nh, capacity, hs]}). The memory is {@code 2 · n_layer · B · capacity ·
 * n_embd} floats (GPT-2 small: 75 MB per sequence of 1024 positions; on the Java heap for the
 * CPU path).
 *
 * <p>A cache belongs to one generation call; it is not thread-safe and never shared between
 * callers. {@link #close()} releases its off-heap memory at once instead of waiting for the GC.
 */
public final class KvCache implements AutoCloseable {

    private final Gpt2Config config;
    private INDArray[] keys;         // per layer [B, nh, capacity, hs], made on first use
    private INDArray[] values;       // per layer [B, nh, capacity, hs]
    private float[][] heapKeys;      // per layer [B, nh, hs, capacity] (transposed), made on first use
    private float[][] heapValues;    // per layer [B, nh, capacity, hs]
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
        long perLayer = (long) batchSize * capacity * config.nEmbd();
        if (perLayer > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a cache of " + batchSize + " sequences x " + capacity
                    + " positions holds " + perLayer + " floats per layer, over the 2^31 an array can hold");
        }
        this.config = config;
        this.batchSize = batchSize;
        this.capacity = capacity;
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
        if (source.heapKeys != null) {
            fillFromHeap(source);
        }
        if (source.keys != null) {
            fillFromNd4j(source);
        }
        length = source.length;
    }

    /** Copies sequence 0 of the source's Java arrays into every sequence of this cache's. */
    private void fillFromHeap(KvCache source) {
        int hs = config.headSize();
        for (int layer = 0; layer < config.nLayer(); layer++) {
            float[] keysT = heapKeys(layer);
            float[] values = heapValues(layer);
            for (int b = 0; b < batchSize; b++) {
                for (int h = 0; h < config.nHead(); h++) {
                    int from = h * source.capacity * hs;                      // [0, h, 0, 0] of the source
                    int to = (b * config.nHead() + h) * capacity * hs;        // [b, h, 0, 0] here
                    for (int d = 0; d < hs; d++) {                            // keys: hs rows of [capacity]
                        System.arraycopy(source.heapKeys[layer], from + d * source.capacity, keysT,
                                to + d * capacity, source.length);
                    }
                    System.arraycopy(source.heapValues[layer], from, values, to, source.length * hs);
                }
            }
        }
    }

    /** Copies sequence 0 of the source's Nd4j arrays into every sequence of this cache's. */
    private void fillFromNd4j(KvCache source) {
        INDArrayIndex all = NDArrayIndex.all();
        INDArrayIndex filled = NDArrayIndex.interval(0, source.length);
        for (int layer = 0; layer < config.nLayer(); layer++) {
            INDArray sourceKeys = source.keys[layer].get(NDArrayIndex.point(0), all, filled, all);     // [nh, L, hs]
            INDArray sourceValues = source.values[layer].get(NDArrayIndex.point(0), all, filled, all); // [nh, L, hs]
            for (int b = 0; b < batchSize; b++) {
                keys(layer).get(NDArrayIndex.point(b), all, filled, all).assign(sourceKeys);
                values(layer).get(NDArrayIndex.point(b), all, filled, all).assign(sourceValues);
            }
        }
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

    /** Layer {@code layer}'s keys as an Nd4j array {@code [B, nh, capacity, hs]}. */
    INDArray keys(int layer) {
        checkOpen();
        if (keys == null) {
            keys = nd4jLayers();
            values = nd4jLayers();
        }
        return keys[layer];
    }

    /** Layer {@code layer}'s values as an Nd4j array {@code [B, nh, capacity, hs]}. */
    INDArray values(int layer) {
        keys(layer);
        return values[layer];
    }

    /** Layer {@code layer}'s keys as a Java array, transposed: {@code [B, nh, hs, capacity]} row-major. */
    float[] heapKeys(int layer) {
        checkOpen();
        if (heapKeys == null) {
            heapKeys = heapLayers();
            heapValues = heapLayers();
        }
        return heapKeys[layer];
    }

    /** Layer {@code layer}'s values as a Java array, {@code [B, nh, capacity, hs]} row-major. */
    float[] heapValues(int layer) {
        heapKeys(layer);
        return heapValues[layer];
    }

    private INDArray[] nd4jLayers() {
        INDArray[] layers = new INDArray[config.nLayer()];
        for (int layer = 0; layer < layers.length; layer++) {
            layers[layer] = Nd4j.create(DataType.FLOAT, batchSize, config.nHead(), capacity, config.headSize());
        }
        return layers;
    }

    /**
     * Java arrays for every layer, padded for {@link CacheAttention}'s whole-block reads, from
     * {@link FloatArrayPool} (they may hold an earlier cache's numbers: only stored positions are read).
     */
    private float[][] heapLayers() {
        float[][] layers = new float[config.nLayer()][];
        for (int layer = 0; layer < layers.length; layer++) {
            layers[layer] = FloatArrayPool.SHARED.take(batchSize * capacity * config.nEmbd() + CacheAttention.KEY_BLOCK);
        }
        return layers;
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
        if (heapKeys != null) {
            for (int layer = 0; layer < heapKeys.length; layer++) {
                FloatArrayPool.SHARED.give(heapKeys[layer]);
                FloatArrayPool.SHARED.give(heapValues[layer]);
            }
        }
        heapKeys = null;
        heapValues = null;
        if (keys != null) {
            for (int layer = 0; layer < keys.length; layer++) {
                keys[layer].close();
                values[layer].close();
            }
        }
    }
}
