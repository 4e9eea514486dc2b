package dev.nexttoken.core.io;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Unmaps a memory-mapped buffer now rather than when the garbage collector finds it unreachable:
 * a closed model must give its mapped file back at once (a process that loads and closes models
 * in a loop would otherwise hold gigabytes of mappings until the next collection). Java 17 has no
 * public way to do it; {@code sun.misc.Unsafe.invokeCleaner} (module {@code jdk.unsupported},
 * open to every class path program, on Java 17 to 25) is the one the JDK offers. Where it is
 * missing, the mapping is left to the garbage collector, as before.
 */
final class Unmapper {

    private static final Logger LOG = LoggerFactory.getLogger(Unmapper.class);
    private static final MethodHandle INVOKE_CLEANER = find();

    private Unmapper() {
    }

    /**
     * Unmaps {@code mapped} (the buffer {@code FileChannel.map} returned, not a duplicate or slice).
     * Any later access to its memory, from Java or native code, crashes the JVM: the caller must
     * know that nothing uses it. Where this JVM cannot unmap on demand, the collector will.
     */
    static void unmap(ByteBuffer mapped) {
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invokeExact(mapped);
        } catch (Throwable e) {
            LOG.debug("cannot unmap a buffer now; the garbage collector will", e);
        }
    }

    private static MethodHandle find() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            Object unsafe = field.get(null);
            return MethodHandles.lookup().findVirtual(unsafeClass, "invokeCleaner",
                    MethodType.methodType(void.class, ByteBuffer.class)).bindTo(unsafe);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("sun.misc.Unsafe.invokeCleaner is not available: mappings are released by the garbage collector", e);
            return null;
        }
    }
}
