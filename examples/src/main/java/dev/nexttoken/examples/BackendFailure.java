package dev.nexttoken.examples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Recognises the ways Nd4j fails when its backend cannot start, and words them for a user.
 *
 * <p>Nd4j starts its backend in the static initialiser of {@code org.nd4j.linalg.factory.Nd4j},
 * so the failure reaches the caller wrapped, for example as an {@link ExceptionInInitializerError}
 * whose cause is a {@code RuntimeException} wrapping {@code Nd4jBackend.NoAvailableBackendException}
 * (no backend on the class path), or whose causes end in a {@link ClassNotFoundException} for
 * {@code org.bytedeco.openblas...} (OpenBLAS missing). The next use of Nd4j then throws
 * {@code NoClassDefFoundError: Could not initialize class org.nd4j.linalg.factory.Nd4j}.
 */
public final class BackendFailure {

    /** What each backend needs; printed after every backend failure. */
    static final String REQUIREMENTS = "CPU: needs nd4j-native and openblas for linux-x86_64;"
            + " CUDA: needs a GPU of compute capability 3.7-8.6 and CUDA 11.6";

    private BackendFailure() {
    }

    /**
     * Whether a throwable, or any of its causes, says that the Nd4j backend could not start.
     *
     * @param failure the throwable a command ended with
     * @return true for backend start-up failures, false for everything else
     */
    public static boolean isBackendFailure(Throwable failure) {
        for (Throwable t : causalChain(failure)) {
            if (t.getClass().getName().endsWith("NoAvailableBackendException")) {
                return true;
            }
            String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (message.contains("nd4j backend") || message.contains("nd4j is probably missing")) {
                return true;
            }
            if (t instanceof LinkageError && comesFromNd4j(t)) {
                // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
                return true;
            }
        }
        return false;
    }

    /**
     * One line for the user: what failed, the innermost reason, and what each backend needs.
     *
     * @param failure a throwable for which {@link #isBackendFailure(Throwable)} is true
     * @return for example {@code the Nd4j backend could not start: ClassNotFoundException:
     *     org.bytedeco.openblas.global.openblas (CPU: needs ...; CUDA: needs ...)}
     */
    public static String describe(Throwable failure) {
        List<Throwable> chain = causalChain(failure);
        Throwable root = chain.get(chain.size() - 1);
        return "the Nd4j backend could not start: " + Failures.summary(root) + " (" + REQUIREMENTS + ")";
    }

    /** Whether the throwable, or one of its causes, mentions or was thrown in Nd4j or javacpp code. */
    private static boolean comesFromNd4j(Throwable failure) {
        for (Throwable t : causalChain(failure)) {
            if (mentionsNd4j(String.valueOf(t.getMessage()))) {
                return true;
            }
            for (StackTraceElement frame : t.getStackTrace()) {
                if (mentionsNd4j(frame.getClassName())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean mentionsNd4j(String text) {
        return text.contains("org.nd4j") || text.contains("org/nd4j")
                || text.contains("org.bytedeco") || text.contains("org/bytedeco");
    }

    /** The throwable and its causes, outermost first, each once (cause cycles are possible). */
    static List<Throwable> causalChain(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }
}
