package dev.nexttoken.core;

import dev.nexttoken.core.model.Gpt2Config;

import java.lang.management.ManagementFactory;

/**
 * Refuses a generation whose buffers could not fit in this machine's memory, before anything
 * is allocated: a huge sample count must fail with a message, not take the process down.
 */
final class MemoryBudget {

    private MemoryBudget() {
    }

    /** Bytes the cache and per-step buffers of a batch need, roughly. */
    static long estimate(Gpt2Config config, int samples, int capacity) {
        long logits = 3L * config.vocabSize() * Float.BYTES;
        long activations = 8L * config.nEmbd() * Float.BYTES;
        return cacheBytes(config, samples, capacity) + samples * (logits + activations);
    }

    /** Bytes of the KV cache: keys and values of every layer and position. */
    private static long cacheBytes(Gpt2Config config, int samples, int capacity) {
        return 2L * config.nLayer() * capacity * config.nEmbd() * Float.BYTES * samples;
    }

    /**
     * @param cacheOnHeap whether the KV cache goes on the Java heap (the CPU path): then it must
     *                    also fit in what the heap can still grow to ({@code -Xmx})
     */
    static void check(Gpt2Config config, int samples, int capacity, boolean cacheOnHeap) {
        long need = estimate(config, samples, capacity);
        long limit = physicalMemory() / 2;
        if (need > limit) {
            throw new NextTokenException(String.format(
                    "%d samples of up to %d positions need about %d MB of buffers, more than half of this "
                            + "machine's memory (%d MB): ask for fewer samples or fewer tokens",
                    samples, capacity, need >> 20, (limit * 2) >> 20));
        }
        if (cacheOnHeap) {
            Runtime runtime = Runtime.getRuntime();
            long cache = cacheBytes(config, samples, capacity);
            long free = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
            if (cache > free) {
                throw new NextTokenException(String.format(
                        "%d samples of up to %d positions need a %d MB KV cache on the Java heap, which has %d MB"
                                + " left of its %d MB maximum: raise -Xmx, or ask for fewer samples or fewer tokens",
                        samples, capacity, cache >> 20, free >> 20, runtime.maxMemory() >> 20));
            }
        }
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory() * 4;
    }
}
