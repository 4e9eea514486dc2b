package dev.nexttoken.examples;

/**
 * A command-line value that parsed but cannot be used, for example a {@code --start FILE:path}
 * whose file does not exist. The command line reports its message on one line and exits with
 * {@link ExitCodes#USAGE}.
 */
public class BadArgumentException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong with the value, naming the option, in words a user can act on
     */
    public BadArgumentException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong with the value, naming the option, in words a user can act on
     * @param cause   the lower-level failure (for example an I/O error), kept for {@code --verbose}
     */
    public BadArgumentException(String message, Throwable cause) {
        super(message, cause);
    }
}
