package dev.nexttoken.examples;

/**
 * Logging of the command line, through slf4j-simple to standard error.
 *
 * <p>{@code simplelogger.properties} (in this module's resources) sends every log line to
 * standard error and sets WARN for everything, Nd4j ({@code org.nd4j}) and javacpp
 * ({@code org.bytedeco}) included, so that standard output holds only results. {@code --verbose}
 * raises nexttoken's own loggers ({@code dev.nexttoken}) to INFO.
 *
 * <p>slf4j-simple reads a logger's level when the logger is created and lets a system property
 * override the properties file, so {@link #configure(boolean)} must run before the first
 * {@code dev.nexttoken} logger is created: the command line calls it before a command runs. A
 * {@code -Dorg.slf4j.simpleLogger.log.dev.nexttoken=LEVEL} given to the JVM wins.
 */
public final class Logging {

    /** The slf4j-simple property that sets the level of every {@code dev.nexttoken} logger. */
    static final String NEXTTOKEN_LEVEL = "org.slf4j.simpleLogger.log.dev.nexttoken";

    private Logging() {
    }

    /**
     * Raises nexttoken's loggers to INFO for {@code --verbose}, unless a level was set on the
     * JVM's command line.
     *
     * @param verbose whether {@code --verbose} was given
     */
    public static void configure(boolean verbose) {
        if (verbose && System.getProperty(NEXTTOKEN_LEVEL) == null) {
            System.setProperty(NEXTTOKEN_LEVEL, "info");
        }
    }
}
