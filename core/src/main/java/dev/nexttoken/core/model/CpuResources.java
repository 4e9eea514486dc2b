package dev.nexttoken.core.model;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the open CPU forward passes, so that the memory they recycle (the {@link FloatArrayPool}
 * of caches and working rows, the kernels' {@link ScratchPool}s) is kept while a model is open
 * and released when the last one closes: an application that closed its generators holds none
 * of it.
 */
final class CpuResources {

    private static final List<ScratchPool<?>> POOLS = new CopyOnWriteArrayList<>();
    private static final AtomicInteger OPEN = new AtomicInteger();

    private CpuResources() {
    }

    /** A CPU forward pass opened. */
    static void retain() {
        OPEN.incrementAndGet();
    }

    /** A CPU forward pass closed; the last one empties every pool. */
    static void release() {
        int left = OPEN.decrementAndGet();
        if (left < 0) {
            OPEN.incrementAndGet();
            throw new IllegalStateException("released more often than retained");
        }
        if (left == 0) {
            FloatArrayPool.SHARED.clear();
            POOLS.forEach(ScratchPool::clear);
        }
    }

    /** Whether a CPU forward pass is open: memory given back when none is goes to the garbage collector. */
    static boolean inUse() {
        return OPEN.get() > 0;
    }

    static void register(ScratchPool<?> pool) {
        POOLS.add(pool);
    }
}
