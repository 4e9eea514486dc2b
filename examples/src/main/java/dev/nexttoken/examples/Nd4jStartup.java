package dev.nexttoken.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Starts Nd4j's backend once, before a command touches a tensor, with standard error captured:
 * when a backend cannot load (no GPU driver for the CUDA build, say), Nd4j prints its stack
 * traces while it looks for another one. Those stay off the terminal; if no backend starts, the
 * first line of what it printed (e.g. {@code libcuda.so.1: cannot open shared object file})
 * joins the failure, which the command line reports as one line with exit status 3.
 */
final class Nd4jStartup {

    private static boolean started;

    private Nd4jStartup() {
    }

    /** Starts the backend; a failure propagates as a {@link BackendFailure} the handler recognises. */
    static synchronized void start() {
        if (started) {
            return;
        }
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Nd4j.create(DataType.FLOAT, 1).close();
            started = true;
        } catch (RuntimeException | LinkageError e) {
            String reason = firstErrorLine(captured.toString(StandardCharsets.UTF_8));
            if (reason.isEmpty()) {
                throw e;
            }
            // not chained: the report names the root cause, and this line is the useful one
            throw new IllegalStateException("no Nd4j backend could start (" + e.getClass().getSimpleName()
                    + "); " + reason);
        } finally {
            System.setErr(original);
        }
    }

    /** The first line that names an error, e.g. {@code java.lang.UnsatisfiedLinkError: …}. */
    private static String firstErrorLine(String text) {
        for (String line : text.split("\\R")) {
            if (line.contains("Error:") || line.contains("Exception:")) {
                return line.strip();
            }
        }
        return "";
    }
}
