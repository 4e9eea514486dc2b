package dev.nexttoken.examples;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Turns whatever a command ended with into an exit code and one line on standard error.
 *
 * <ul>
 *   <li>the Nd4j backend could not start ({@link BackendFailure}): {@link ExitCodes#BACKEND};</li>
 *   <li>a bad argument or a library error a user can act on: any {@link IllegalArgumentException}
 *       (this includes {@link BadArgumentException}) and any exception of a {@code dev.nexttoken}
 *       package whose class name, or a superclass's, ends with {@code Exception} (for example
 *       {@code dev.nexttoken.core.NextTokenException} and its {@code ModelLoadException}):
 *       {@link ExitCodes#USAGE}, with the exception's message;</li>
 *   <li>anything else is a bug: {@link ExitCodes#SOFTWARE}.</li>
 * </ul>
 *
 * <p>The line starts with the command's name ({@code nexttoken tokenize: ...}). With
 * {@code --verbose} the stack trace follows it.
 */
public final class Failures {

    private Failures() {
    }

    /**
     * The exit code for a failure.
     *
     * @param failure what the command ended with
     * @return one of {@link ExitCodes#USAGE}, {@link ExitCodes#BACKEND}, {@link ExitCodes#SOFTWARE}
     */
    public static int exitCode(Throwable failure) {
        if (BackendFailure.isBackendFailure(failure)) {
            return ExitCodes.BACKEND;
        }
        if (isUserError(failure)) {
            return ExitCodes.USAGE;
        }
        return ExitCodes.SOFTWARE;
    }

    /**
     * Prints the failure's line (and with {@code verbose} its stack trace) and returns its exit code.
     *
     * @param failure     what the command ended with
     * @param commandName the qualified command name, for example {@code nexttoken tokenize}
     * @param err         standard error
     * @param verbose     whether to print the stack trace too
     * @return the exit code, see {@link #exitCode(Throwable)}
     */
    public static int report(Throwable failure, String commandName, PrintWriter err, boolean verbose) {
        int exitCode = exitCode(failure);
        String text;
        if (exitCode == ExitCodes.BACKEND) {
            text = BackendFailure.describe(failure);
        } else if (exitCode == ExitCodes.USAGE) {
            text = oneLine(failure.getMessage() != null ? failure.getMessage() : summary(failure));
        } else {
            text = "internal error: " + summary(failure)
                    + (verbose ? "" : " (run with --verbose for the stack trace)");
        }
        err.println(commandName + ": " + text);
        if (verbose) {
            failure.printStackTrace(err);
        }
        err.flush();
        return exitCode;
    }

    /**
     * Whether a failure is one the user can fix: see the class comment.
     *
     * @param failure what the command ended with
     * @return true for bad arguments and nexttoken's own exceptions
     */
    static boolean isUserError(Throwable failure) {
        if (failure instanceof IllegalArgumentException || failure instanceof CommandLine.ParameterException) {
            return true;
        }
        for (Class<?> type = failure.getClass(); type != null; type = type.getSuperclass()) {
            String name = type.getName();
            if (name.startsWith("dev.nexttoken.") && name.endsWith("Exception")) {
                return true;
            }
        }
        return false;
    }

    /**
     * A throwable as one line: its simple class name and its message.
     *
     * @param failure any throwable
     * @return for example {@code ClassNotFoundException: org.bytedeco.openblas.global.openblas}
     */
    static String summary(Throwable failure) {
        String name = failure.getClass().getSimpleName();
        String message = failure.getMessage();
        return message == null || message.isBlank() ? name : name + ": " + oneLine(message);
    }

    /**
     * Collapses line breaks and runs of white space, so a message stays on one line.
     *
     * @param text any text
     * @return the text on one line, trimmed
     */
    static String oneLine(String text) {
        return text.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
