package dev.nexttoken.sampling;

/** Readable names of processors and samplers for error messages. */
final class Names {

    private Names() {
    }

    /**
     * The simple name of a class; for a lambda "lambda in Host", for an anonymous class
     * "anonymous class in Host".
     */
    static String describe(Class<?> type) {
        String name = type.getName();
        int lambda = name.indexOf("$$Lambda");
        if (lambda >= 0) {
            return "lambda in " + simpleName(name.substring(0, lambda));
        }
        if (type.isAnonymousClass()) {
            Class<?> host = type.getEnclosingClass();
            return "anonymous class in " + (host == null ? simpleName(name) : simpleName(host.getName()));
        }
        return type.getSimpleName();
    }

    private static String simpleName(String binaryName) {
        String simple = binaryName.substring(binaryName.lastIndexOf('.') + 1);
        return simple.replace('$', '.');
    }
}
