package dev.nexttoken.core.io;

import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lifts javacpp's limits on off-heap memory before Nd4j starts, so that no user has to.
 *
 * <p>javacpp (under Nd4j) refuses allocations once its count of off-heap bytes passes
 * {@code org.bytedeco.javacpp.maxbytes} (by default the maximum heap) or its count of the
 * process's resident bytes passes {@code maxphysicalbytes}. Memory-mapped weights count towards
 * the second: a model larger than the heap would fail with "Cannot allocate new LongPointer".
 * The limits are read once, when javacpp's {@code Pointer} class starts, so the loaders call
 * {@link #apply()} before their first Nd4j array: when nexttoken is the first to start Nd4j and
 * the user set neither property, both are set to 0 (no limit); when something else started Nd4j
 * earlier with limits on, one warning names the properties to set.
 */
public final class OffHeapLimits {

    static final String MAX_BYTES = "org.bytedeco.javacpp.maxbytes";
    static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxphysicalbytes";
    private static final Logger LOG = LoggerFactory.getLogger(OffHeapLimits.class);
    private static boolean applied;

    private OffHeapLimits() {
    }

    /** Sets the limits if nobody did and javacpp has not started yet; idempotent and cheap after the first call. */
    public static synchronized void apply() {
        if (applied) {
            return;
        }
        applied = true;
        if (userSet(MAX_BYTES) || userSet(MAX_PHYSICAL_BYTES)) {
            return;                                                  // the user decided: respect it
        }
        System.setProperty(MAX_BYTES, "0");
        System.setProperty(MAX_PHYSICAL_BYTES, "0");
        if (Pointer.maxBytes() != 0 || Pointer.maxPhysicalBytes() != 0) {   // javacpp started before us
            System.clearProperty(MAX_BYTES);
            System.clearProperty(MAX_PHYSICAL_BYTES);
            LOG.warn("Nd4j was started before nexttoken with javacpp's off-heap limits on (maxbytes {} MB,"
                    + " maxphysicalbytes {} MB); memory-mapped weights count against them, so a large model may"
                    + " fail with 'Cannot allocate'. Start the JVM with -D{}=0 -D{}=0, or load nexttoken's model"
                    + " before other Nd4j work", Pointer.maxBytes() >> 20, Pointer.maxPhysicalBytes() >> 20,
                    MAX_BYTES, MAX_PHYSICAL_BYTES);
        }
    }

    private static boolean userSet(String property) {
        String camelCase = property.replace("maxbytes", "maxBytes").replace("maxphysicalbytes", "maxPhysicalBytes");
        return System.getProperty(property) != null || System.getProperty(camelCase) != null;
    }
}
