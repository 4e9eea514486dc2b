package dev.nexttoken.examples;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Handles bad command lines (unknown options, values of the wrong type, options that exclude each
 * other, missing required options): exactly one line on standard error and
 * {@link ExitCodes#USAGE}, for example
 * {@code nexttoken tokenize: Unknown option: '--jsn'; did you mean --json? (see 'nexttoken tokenize --help')}.
 * With {@code --verbose} the stack trace follows the line.
 */
public final class CliParameterExceptionHandler implements IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException exception, String[] args) {
        CommandLine commandLine = exception.getCommandLine();
        String command = commandLine.getCommandSpec().qualifiedName();
        String message = Failures.oneLine(String.valueOf(exception.getMessage()));
        if (message.startsWith("Error: ")) { // picocli's messages about argument groups
            message = message.substring("Error: ".length());
        }
        StringBuilder line = new StringBuilder(command).append(": ").append(message);
        if (exception instanceof UnmatchedArgumentException) {
            List<String> suggestions = ((UnmatchedArgumentException) exception).getSuggestions();
            if (!suggestions.isEmpty()) {
                line.append("; did you mean ").append(String.join(" or ", suggestions)).append('?');
            }
        }
        line.append(" (see '").append(command).append(" --help')");

        PrintWriter err = commandLine.getErr();
        err.println(line);
        if (NextTokenCli.isVerbose(args)) {
            exception.printStackTrace(err);
        }
        err.flush();
        return ExitCodes.USAGE;
    }
}
