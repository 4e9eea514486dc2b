package dev.nexttoken.examples;

/**
 * The exit statuses of the {@code nexttoken} command line.
 *
 * <p>Scripts can rely on these: 0 means the output is complete; 2 means the user can fix the
 * call (an unknown option, a bad value, a missing file, a bad model folder); 3 means this
 * machine cannot run Nd4j as installed (a missing native library, an unsupported GPU); 1 means a
 * bug in nexttoken.
 */
public final class ExitCodes {

    /** Success: everything asked for was printed. */
    public static final int OK = 0;

    /** An unexpected failure inside nexttoken (a bug); run with {@code --verbose} for the stack trace. */
    public static final int SOFTWARE = 1;

    /**
     * Bad arguments: an unknown option or command, a value of the wrong type or out of range, a
     * file that cannot be read, a model folder that cannot be loaded.
     */
    public static final int USAGE = 2;

    /** The Nd4j backend could not start on this machine (native libraries, CPU or GPU support). */
    public static final int BACKEND = 3;

    private ExitCodes() {
    }
}
