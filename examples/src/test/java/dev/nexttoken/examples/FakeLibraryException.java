package dev.nexttoken.examples;

/** Stands for an exception of a library module, such as {@code dev.nexttoken.core.ModelLoadException}. */
class FakeLibraryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    FakeLibraryException(String message) {
        super(message);
    }

    /** A subclass whose own name does not end with "Exception". */
    static final class BadModelFolder extends FakeLibraryException {

        private static final long serialVersionUID = 1L;

        BadModelFolder(String message) {
            super(message);
        }
    }
}
