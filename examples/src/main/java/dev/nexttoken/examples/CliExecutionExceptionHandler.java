package dev.nexttoken.examples;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Handles what a command throws while it runs: one line on standard error (the stack trace only
 * with {@code --verbose}) and the exit code chosen by {@link Failures}.
 *
 * <p>{@link NextTokenCli}'s execution strategy hands {@link Error}s (which picocli lets pass) to
 * this handler too, wrapped in a {@link CommandLine.ExecutionException}; this handler unwraps them.
 */
public final class CliExecutionExceptionHandler implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception exception, CommandLine commandLine, ParseResult parseResult) {
        Throwable failure = exception;
        if (exception instanceof CommandLine.ExecutionException && exception.getCause() != null) {
            failure = exception.getCause();
        }
        return Failures.report(failure, commandLine.getCommandSpec().qualifiedName(),
                commandLine.getErr(), NextTokenCli.isVerbose(parseResult));
    }
}
