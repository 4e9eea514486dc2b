package dev.nexttoken.core;

/**
 * The base of every exception nexttoken throws on purpose.
 *
 * <p>All of them are unchecked: a caller catches the family it can act on (for example
 * {@link ModelLoadException} to report a bad model folder) and lets the rest propagate. Each
 * subclass stands for one family of failures, and its message says what went wrong and where,
 * in words a user can act on.
 */
public class NextTokenException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong and, where it helps, what to do about it
     */
    public NextTokenException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and, where it helps, what to do about it
     * @param cause   the lower-level failure, kept for the stack trace
     */
    public NextTokenException(String message, Throwable cause) {
        super(message, cause);
    }
}
