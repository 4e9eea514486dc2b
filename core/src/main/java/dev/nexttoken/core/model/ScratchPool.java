package dev.nexttoken.core.model;

import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * Reusable working memory of the CPU kernels (a packed panel, a block of scores): a call takes one,
 * uses it on its own thread and gives it back, so that no step allocates and no thread keeps
 * memory of its own. Bounded ({@link #MAX_KEPT} entries: one per thread that can be in a kernel at
 * once, with room for a few concurrent calls) and emptied by {@link CpuResources} when the last CPU
 * forward pass closes.
 *
 * @param <T> the scratch type
 */
final class ScratchPool<T> {

    /** Entries kept at most; more concurrent users get fresh ones that are dropped afterwards. */
    static final int MAX_KEPT = 4 * ParallelRange.threads();

    private final Supplier<T> factory;
    private final ArrayDeque<T> free = new ArrayDeque<>();

    /** A pool making new entries with {@code factory}; it is emptied with the others of {@link CpuResources}. */
    ScratchPool(Supplier<T> factory) {
        this.factory = factory;
        CpuResources.register(this);
    }

    /** A free entry, or a new one; give it back when done. */
    T take() {
        synchronized (free) {
            T entry = free.pollLast();                   // the most recently used: likely still in cache
            if (entry != null) {
                return entry;
            }
        }
        return factory.get();
    }

    /** Returns an entry taken from this pool; the caller must not use it afterwards. */
    void give(T entry) {
        if (!CpuResources.inUse()) {
            return;
        }
        synchronized (free) {
            if (free.size() < MAX_KEPT) {
                free.addLast(entry);
            }
        }
    }

    /** Drops every free entry. */
    void clear() {
        synchronized (free) {
            free.clear();
        }
    }

    /** Free entries held now (for tests). */
    int size() {
        synchronized (free) {
            return free.size();
        }
    }
}
