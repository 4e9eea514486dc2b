package dev.nexttoken.spark;

/** Why one row has no result: its message goes into the row's {@code error} column. */
final class BadRowException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    BadRowException(String message) {
        super(message, null, false, false);
    }
}
