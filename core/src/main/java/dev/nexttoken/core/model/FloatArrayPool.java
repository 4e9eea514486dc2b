package dev.nexttoken.core.model;

import java.lang.ref.SoftReference;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Recycles the large Java arrays of the CPU path (the KV cache, a prompt's working rows) from one
 * generation to the next. Fresh memory costs a page fault per 4 KB when first written, and on
 * the VMs measured one fault took ~15 µs: the 38 MB cache of a 512-token prompt took ~150 ms to
 * touch, more than its attention. Recycled arrays are already mapped.
 *
 * <p>Arrays are held through {@link SoftReference}s, so the garbage collector takes them back
 * before it would run out of memory. A recycled array keeps its old contents: callers must not
 * read what they did not write (the KV cache only reads positions it stored, and never-seen
 * lanes it over-reads only feed scores that are discarded).
 */
final class FloatArrayPool {

    private static final List<SoftReference<float[]>> FREE = new ArrayList<>();

    private FloatArrayPool() {
    }

    /** An array of at least {@code length} floats, with arbitrary contents: the smallest free one that fits, or a new one. */
    static float[] take(int length) {
        synchronized (FREE) {
            float[] best = null;
            SoftReference<float[]> bestRef = null;
            for (Iterator<SoftReference<float[]>> it = FREE.iterator(); it.hasNext(); ) {
                SoftReference<float[]> ref = it.next();
                float[] array = ref.get();
                if (array == null) {
                    it.remove();                                  // collected
                } else if (array.length >= length && array.length <= 2L * length + 1024
                        && (best == null || array.length < best.length)) {
                    best = array;
                    bestRef = ref;
                }
            }
            if (best != null) {
                FREE.remove(bestRef);
                return best;
            }
        }
        return new float[length];
    }

    /** Hands {@code array} back for reuse; the caller must not touch it afterwards. */
    static void give(float[] array) {
        if (array != null) {
            synchronized (FREE) {
                FREE.add(new SoftReference<>(array));
            }
        }
    }
}
