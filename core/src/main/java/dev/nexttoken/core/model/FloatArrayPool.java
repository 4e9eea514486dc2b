package dev.nexttoken.core.model;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * Recycles the large Java arrays of the CPU path (the KV cache, a prompt's working rows) from one
 * generation to the next. Fresh memory costs a page fault per 4 KB page when first written, and a
 * prompt's cache is tens of megabytes: touching it anew can cost more than its attention (see
 * docs/PERFORMANCE.md). Recycled arrays are already mapped.
 *
 * <p>What it keeps is bounded three times: at most {@link #capacityFloats()} floats in all (for
 * {@link #SHARED}, a quarter of the maximum heap; the oldest arrays are dropped first), and through {@link SoftReference}s,
 * so the garbage collector takes them back before it would run out of memory; and {@link #SHARED} is
 * emptied when the last CPU forward pass closes ({@link CpuResources}). An array is only
 * handed out for a request of at least half its size. A recycled array keeps its old contents:
 * callers must not read what they did not write (the KV cache only reads positions it stored,
 * and never-seen lanes it over-reads only feed scores that are discarded).
 */
final class FloatArrayPool {

    /** The pool the CPU path uses: it keeps at most a quarter of the maximum heap. */
    static final FloatArrayPool SHARED = new FloatArrayPool(Runtime.getRuntime().maxMemory() / 4 / Float.BYTES);

    /** Free arrays, oldest first. */
    private final Deque<SoftReference<float[]>> free = new ArrayDeque<>();
    private final long capacity;
    /** Floats held by the entries of {@link #free} (cleared ones included until they are seen). */
    private long held;

    /** @param capacity the most floats to keep */
    FloatArrayPool(long capacity) {
        this.capacity = capacity;
    }

    /** The most floats this pool keeps. */
    long capacityFloats() {
        return capacity;
    }

    /** An array of at least {@code length} floats, with arbitrary contents: the smallest free one that fits, or a new one. */
    float[] take(int length) {
        synchronized (free) {
            float[] best = null;
            SoftReference<float[]> bestRef = null;
            for (Iterator<SoftReference<float[]>> it = free.iterator(); it.hasNext(); ) {
                SoftReference<float[]> ref = it.next();
                float[] array = ref.get();
                if (array == null) {
                    it.remove();                                  // collected: forget it
                    held = recount();
                } else if (array.length >= length && array.length <= 2L * length + 1024
                        && (best == null || array.length < best.length)) {
                    best = array;
                    bestRef = ref;
                }
            }
            if (best != null) {
                free.remove(bestRef);
                held -= best.length;
                return best;
            }
        }
        return new float[length];
    }

    /** Hands {@code array} back for reuse; the caller must not touch it afterwards. */
    void give(float[] array) {
        if (array == null || array.length > capacity || (this == SHARED && !CpuResources.inUse())) {
            return;
        }
        synchronized (free) {
            free.addLast(new SoftReference<>(array));
            held += array.length;
            while (held > capacity) {
                SoftReference<float[]> oldest = free.pollFirst();
                float[] dropped = oldest.get();
                held = dropped == null ? recount() : held - dropped.length;
            }
        }
    }

    /** Drops every free array. */
    void clear() {
        synchronized (free) {
            free.clear();
            held = 0;
        }
    }

    /** Floats the pool holds now (for tests). */
    long heldFloats() {
        synchronized (free) {
            return recount();
        }
    }

    private long recount() {
        long total = 0;
        for (SoftReference<float[]> ref : free) {
            float[] array = ref.get();
            total += array == null ? 0 : array.length;
        }
        return total;
    }
}
