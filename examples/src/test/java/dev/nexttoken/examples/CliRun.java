package dev.nexttoken.examples;

import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine;

/** Runs the command line in-process with captured standard output and error. */
record CliRun(int exitCode, String out, String err) {

    /** Runs {@code nexttoken args...} through {@link NextTokenCli#run}. */
    static CliRun run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exitCode = NextTokenCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliRun(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs the command line with one extra subcommand (a test double), as {@code nexttoken name args...}. */
    static CliRun runWith(Object extraCommand, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintWriter outWriter = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        CommandLine commandLine = NextTokenCli.newCommandLine(outWriter, errWriter);
        // replaces a registered command of the same name (a test's configured instance of it)
        commandLine.getCommandSpec().removeSubcommand(new CommandLine(extraCommand).getCommandName());
        commandLine.addSubcommand(extraCommand);
        commandLine.setOut(outWriter); // setOut and setErr reach only the subcommands added before
        commandLine.setErr(errWriter);
        int exitCode = commandLine.execute(args);
        outWriter.flush();
        errWriter.flush();
        return new CliRun(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The lines of standard error. */
    List<String> errLines() {
        return err.lines().toList();
    }

    /** The lines of standard output. */
    List<String> outLines() {
        return out.lines().toList();
    }
}
