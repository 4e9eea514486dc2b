package dev.nexttoken.examples;

import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;

/** A test command that fails with a given throwable, to see how the command line reports it. */
@Command(name = "fail")
class ThrowingCommand implements Callable<Integer> {

    private final Supplier<Throwable> failure;

    ThrowingCommand(Supplier<Throwable> failure) {
        this.failure = failure;
    }

    @Override
    public Integer call() throws Exception {
        Throwable t = failure.get();
        if (t instanceof Error error) {
            throw error;
        }
        throw (Exception) t;
    }
}
