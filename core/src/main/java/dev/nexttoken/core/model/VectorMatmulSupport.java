package dev.nexttoken.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Whether the Vector API kernels ({@link VectorGemm}, {@link VectorLmHead},
 * {@link VectorDecodeAttention}) can run in this JVM, the byte views they read weights through,
 * and the argument checks their products share.
 *
 * <p>This class does not touch the incubating Vector API itself, so it is safe to load anywhere:
 * callers ask {@link #isAvailable()} first and use the kernels only when it says yes,
 * falling back to OpenBLAS otherwise. The kernels are available when
 * <ul>
 * <li>the module {@code jdk.incubator.vector} is in the boot layer (the JVM was started with
 * {@code --add-modules jdk.incubator.vector});</li>
 * <li>vectors hold at least 8 floats (AVX2 or wider; narrower ones leave OpenBLAS faster);</li>
 * <li>the system property {@code nexttoken.vector} is not {@code false} (a switch for comparisons).</li>
 * </ul>
 */
final class VectorMatmulSupport {

    /** The module the kernels need. */
    static final String MODULE = "jdk.incubator.vector";
    /** Set to {@code false} to turn the kernels off. */
    static final String PROPERTY = "nexttoken.vector";

    /** What the kernels gave prompts of 512 tokens, measured against OpenBLAS (docs/PERFORMANCE.md). */
    private static final String PROMPT_SPEED_UP = "1.5-2x";
    /** What they still give where the native kernels run prompts' products (docs/PERFORMANCE.md). */
    private static final String NATIVE_SPEED_UP = "about 10 %";
    private static final Logger LOG = LoggerFactory.getLogger(VectorMatmulSupport.class);
    private static final boolean AVAILABLE = check();

    private VectorMatmulSupport() {
    }

    /** Whether the kernels may be used; decided once per JVM. */
    static boolean isAvailable() {
        return AVAILABLE;
    }

    private static boolean check() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim())) {
            return false;
        }
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            if (NativeKernels.isAvailable()) {
                LOG.info("the JVM runs without {}: attention and softmax use plain loops instead of the"
                        + " Vector API kernels; --add-modules {} makes decoding {} faster (see docs/PERFORMANCE.md)",
                        MODULE, MODULE, NATIVE_SPEED_UP);
            } else {
                LOG.info("the JVM runs without {}: prompts and decode batches use OpenBLAS instead of the Vector API"
                        + " kernels; --add-modules {} makes prompts {} faster (see docs/PERFORMANCE.md)",
                        MODULE, MODULE, PROMPT_SPEED_UP);
            }
            return false;
        }
        try {
            return VectorGemm.lanes() >= 8;                    // loads the kernels only now
        } catch (LinkageError e) {
            return false;
        }
    }

    /**
     * A byte view over a contiguous c-order float array's memory, in native byte order, for the
     * kernels; no copy (for memory-mapped weights it is the mapping). The array must stay
     * referenced while the view is used.
     *
     * @throws IllegalArgumentException for a view, f-order, another data type, or over 2 GB
     */
    static ByteBuffer bytes(INDArray array) {
        if (array.dataType() != DataType.FLOAT || array.isView() || array.ordering() != 'c'
                || array.length() != array.data().length()) {
            throw new IllegalArgumentException("needs a contiguous c-order FLOAT array, not a view: "
                    + array.shapeInfoToString());
        }
        long bytes = array.length() * Float.BYTES;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("array over 2 GB: " + bytes + " bytes");
        }
        ByteBuffer view = array.data().asNio();
        if (view.capacity() < bytes) {
            throw new IllegalStateException("the array's byte view covers " + view.capacity() + " of " + bytes
                    + " bytes");
        }
        return view.order(ByteOrder.nativeOrder());
    }

    /**
     * Argument checks of the Vector API products ({@link VectorGemm#linear},
     * {@link VectorLmHead#lmHead}); {@code y == null} skips the output check.
     */
    static void checkShapes(float[] x, int xOff, int rows, int k, ByteBuffer w, int n, float[] y, int yOff) {
        if (rows < 1 || k < 1 || n < 1) {
            throw new IllegalArgumentException("empty product: rows=" + rows + " k=" + k + " n=" + n);
        }
        long weightBytes = (long) k * n * Float.BYTES;
        if (weightBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("weights over 2 GB: " + k + " x " + n);
        }
        if (w.capacity() < weightBytes) {
            throw new IllegalArgumentException("weights buffer has " + w.capacity() + " bytes, needs " + weightBytes);
        }
        if (xOff < 0 || (long) xOff + (long) rows * k > x.length) {
            throw new IllegalArgumentException("x has " + x.length + " floats, needs "
                    + ((long) xOff + (long) rows * k));
        }
        if (y != null && (yOff < 0 || (long) yOff + (long) rows * n > y.length)) {
            throw new IllegalArgumentException("y has " + y.length + " floats, needs "
                    + ((long) yOff + (long) rows * n));
        }
    }
}
