package dev.nexttoken.sampling;

import java.util.Arrays;

/**
 * Partial selection without sorting the whole vocabulary.
 *
 * <p>Orderings with a tie-break by token id use "keys": a {@code long} whose high 32 bits are the
 * float value mapped to an order-preserving int and whose low 32 bits are the token id, so one
 * primitive comparison orders by value and then by id.
 */
final class Selection {

    /** Up to this k, top-k keeps a bounded min-heap of k floats; above it, a quickselect on a copy. */
    static final int HEAP_LIMIT = 1024;

    private Selection() {
    }

    /**
     * The k-th largest value of {@code values}, counting equal values separately
     * ({@code 1 <= k <= values.length}); NaN must not occur.
     */
    static float kthLargest(float[] values, int k) {
        int n = values.length;
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("k must be in [1, " + n + "], got " + k);
        }
        if (k > HEAP_LIMIT) {
            return kthLargestBySelect(values, k);
        }
        float bySample = kthLargestOfCandidates(values, k);
        return bySample == bySample ? bySample : kthLargestByHeap(values, k);
    }

    /** Rows at least this long (and {@link #SAMPLE_FACTOR} times k) try {@link #kthLargestOfCandidates} first. */
    static final int SAMPLE_MIN_LENGTH = 4096;
    /** Evenly spaced values {@link #kthLargestOfCandidates} looks at to choose its threshold. */
    static final int SAMPLES = 1024;
    private static final int SAMPLE_FACTOR = 8;

    /**
     * The k-th largest value through a threshold, or NaN when that does not apply: {@code t} is a
     * large value of {@link #SAMPLES} evenly spaced ones (about twice as many of them at or above
     * it as the row's k-th largest would give, and a few more); one pass gathers the values
     * {@code >= t}, and when there are at least k of them the k-th largest of those is the row's
     * (exact, whatever the sample). On a long row most values are below {@code t}, so this is one
     * cheap pass and a heap over a few hundred candidates, rather than a heap whose cost depends
     * on the order of the values (an ascending row pushes every value through it).
     */
    static float kthLargestOfCandidates(float[] values, int k) {
        int n = values.length;
        if (n < SAMPLE_MIN_LENGTH || n < SAMPLE_FACTOR * k) {
            return Float.NaN;
        }
        float[] sample = new float[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            sample[i] = values[(int) ((long) i * n / SAMPLES)];
        }
        int rank = (int) Math.min(SAMPLES, 2L * k * SAMPLES / n + 4);
        float threshold = kthLargestByHeap(sample, rank);
        float[] candidates = new float[Math.min(n / 2, SAMPLE_FACTOR * (k + SAMPLES))];
        int count = 0;
        for (float v : values) {
            if (v >= threshold) {
                if (count == candidates.length) {
                    return Float.NaN;                    // the threshold keeps too much: no saving
                }
                candidates[count++] = v;
            }
        }
        if (count < k) {
            return Float.NaN;                            // too few candidates for k
        }
        return kthLargestByHeap(Arrays.copyOf(candidates, count), k);
    }

    /** Bounded min-heap of the k largest values seen so far; its root is the answer. */
    static float kthLargestByHeap(float[] values, int k) {
        float[] heap = Arrays.copyOf(values, k);
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(heap, i, k);
        }
        float smallest = heap[0];
        for (int i = k; i < values.length; i++) {
            float v = values[i];
            if (v > smallest) {
                heap[0] = v;
                siftDown(heap, 0, k);
                smallest = heap[0];
            }
        }
        return smallest;
    }

    private static void siftDown(float[] heap, int i, int size) {
        float v = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= v) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }

    /** Quickselect (median of three, falling back to a sort when it degenerates) on a copy. */
    static float kthLargestBySelect(float[] values, int k) {
        float[] a = values.clone();
        int target = a.length - k; // position of the k-th largest in ascending order
        int lo = 0;
        int hi = a.length - 1;
        int budget = 2 * (32 - Integer.numberOfLeadingZeros(a.length));
        while (lo < hi) {
            if (budget-- == 0) {
                Arrays.sort(a, lo, hi + 1);
                return a[target];
            }
            float pivot = medianOfThree(a[lo], a[(lo + hi) >>> 1], a[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return a[target]; // between the two parts every value equals the pivot
            }
        }
        return a[target];
    }

    private static float medianOfThree(float a, float b, float c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    /** An int whose signed order is the order of the (non-NaN) float; -0.0 counts as 0.0. */
    static int sortableBits(float v) {
        int bits = Float.floatToIntBits(v + 0.0f);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /** Key that sorts larger values first, then lower ids. */
    static long descendingKey(float value, int id) {
        return ((long) ~sortableBits(value) << 32) | (id & 0xffffffffL);
    }

    /** Key that sorts smaller values first, then lower ids. */
    static long ascendingKey(float value, int id) {
        return ((long) sortableBits(value) << 32) | (id & 0xffffffffL);
    }

    /** The token id stored in a key. */
    static int idOf(long key) {
        return (int) key;
    }

    /**
     * Rearranges {@code keys[0..n)} so that {@code keys[0..m)} holds the m smallest keys in ascending
     * order (keys are distinct because they carry the id). Cost O(n + m log m) on average.
     */
    static void sortSmallest(long[] keys, int n, int m) {
        if (m >= n) {
            Arrays.sort(keys, 0, n);
            return;
        }
        if (m <= 0) {
            return;
        }
        int target = m - 1;
        int lo = 0;
        int hi = n - 1;
        int budget = 2 * (32 - Integer.numberOfLeadingZeros(n));
        while (lo < hi) {
            if (budget-- == 0) {
                Arrays.sort(keys, lo, hi + 1);
                break;
            }
            long a = keys[lo];
            long b = keys[(lo + hi) >>> 1];
            long c = keys[hi];
            long pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (keys[i] < pivot) {
                    i++;
                }
                while (keys[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long t = keys[i];
                    keys[i] = keys[j];
                    keys[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                break;
            }
        }
        Arrays.sort(keys, 0, m);
    }

    /** Orders token ids: negative when {@code a} ranks before {@code b}. */
    @FunctionalInterface
    interface IdOrder {
        int compare(int a, int b);
    }

    /**
     * The first {@code limit} ids of {@code 0..count-1} in the given order, found with a bounded heap
     * (O(count log limit)) and returned sorted.
     */
    static int[] best(int count, int limit, IdOrder order) {
        int size = Math.min(limit, count);
        if (size <= 0) {
            return new int[0];
        }
        int[] heap = new int[size]; // root = the worst id kept so far
        for (int id = 0; id < count; id++) {
            if (id < size) {
                heap[id] = id;
                if (id == size - 1) {
                    for (int i = size / 2 - 1; i >= 0; i--) {
                        siftDownWorst(heap, i, size, order);
                    }
                }
            } else if (order.compare(id, heap[0]) < 0) {
                heap[0] = id;
                siftDownWorst(heap, 0, size, order);
            }
        }
        Integer[] boxed = new Integer[size];
        for (int i = 0; i < size; i++) {
            boxed[i] = heap[i];
        }
        Arrays.sort(boxed, order::compare);
        int[] result = new int[size];
        for (int i = 0; i < size; i++) {
            result[i] = boxed[i];
        }
        return result;
    }

    private static void siftDownWorst(int[] heap, int i, int size, IdOrder order) {
        int v = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && order.compare(heap[child + 1], heap[child]) > 0) {
                child++;
            }
            if (order.compare(heap[child], v) <= 0) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }
}
