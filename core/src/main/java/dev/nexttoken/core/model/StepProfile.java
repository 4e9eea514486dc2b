package dev.nexttoken.core.model;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where the time of the CPU fast path goes, per section, printed to stderr at exit: decode
 * steps (one new position per sequence) when the system property {@code nexttoken.profile} is
 * {@code true}, prompt passes when it is {@code prompt}; the two are never mixed, since one
 * prompt would swamp many steps. {@code nexttoken.profile.skip=N} leaves out the first {@code N}
 * such passes (the JIT's warm-up: a few interpreted prompt passes take seconds). Off by default:
 * then each probe is one static boolean check.
 */
final class StepProfile {

    /** The sections of a forward pass. */
    enum Section { EMBED, LAYER_NORM, QKV_MATMUL, ATTENTION, PROJ_MATMUL, RESIDUAL, FC_MATMUL, GELU, FC_PROJ_MATMUL, LM_HEAD }

    private static final String MODE = System.getProperty("nexttoken.profile", "false").trim();
    static final boolean ENABLED = MODE.equals("true") || MODE.equals("prompt");
    /** Whether prompt passes are measured rather than decode steps. */
    private static final boolean PROMPTS = MODE.equals("prompt");
    private static final Map<Section, LongAdder> NANOS = new EnumMap<>(Section.class);
    /** Passes of the measured kind left out at the start. */
    private static final long SKIP = Long.getLong("nexttoken.profile.skip", 0);
    /** Passes of the measured kind seen so far, measured or skipped. */
    private static final LongAdder SEEN = new LongAdder();

    static {
        for (Section s : Section.values()) {
            NANOS.put(s, new LongAdder());
        }
        if (ENABLED) {
            Runtime.getRuntime().addShutdownHook(new Thread(StepProfile::print));
        }
    }

    private StepProfile() {
    }

    /** The start of a measured stretch, or 0 (nothing is recorded) when off or not the kind of pass measured. */
    static long start(boolean decodeStep) {
        return ENABLED && decodeStep != PROMPTS && SEEN.sum() >= SKIP ? System.nanoTime() : 0;
    }

    /** Adds the time since {@code start} to {@code section}; returns now, to chain sections (0 stays 0). */
    static long add(Section section, long start) {
        if (!ENABLED || start == 0) {
            return 0;
        }
        long now = System.nanoTime();
        NANOS.get(section).add(now - start);
        return now;
    }

    static void step(boolean decodeStep) {
        if (ENABLED && decodeStep != PROMPTS) {
            SEEN.increment();
        }
    }

    private static void print() {
        long seen = SEEN.sum();
        long steps = Math.max(1, seen - SKIP);                           // the passes measured
        long total = NANOS.values().stream().mapToLong(LongAdder::sum).sum();
        System.err.printf("nexttoken profile: %d %s (after %d skipped), %.3f ms each%n", steps,
                PROMPTS ? "prompt passes" : "decode steps", Math.min(SKIP, seen), total / 1e6 / steps);
        for (Section s : Section.values()) {
            long n = NANOS.get(s).sum();
            System.err.printf("  %-15s %8.3f ms  %5.1f %%%n", s, n / 1e6 / steps, 100.0 * n / Math.max(1, total));
        }
    }
}
