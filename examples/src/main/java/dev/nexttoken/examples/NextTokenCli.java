package dev.nexttoken.examples;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;

import dev.nexttoken.core.io.OffHeapLimits;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code nexttoken} command line: {@code nexttoken COMMAND [options]}.
 *
 * <p>{@link #main(String[])} is what {@code bin/nexttoken} runs; {@link #run(String[], PrintStream,
 * PrintStream)} does the same work against any streams and returns the exit code, for tests and
 * for embedding. Output is UTF-8 whatever the platform's default charset. Exit codes are those of
 * {@link ExitCodes}: bad arguments print exactly one line on standard error (a stack trace follows
 * only with {@code --verbose}).
 */
@Command(name = "nexttoken",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Runs GPT-2 on Nd4j and shows, step by step, how it chooses its next token.",
        subcommands = {
            GenerateCommand.class,
            NextCommand.class,
            ScoreCommand.class,
            TokenizeCommand.class,
            BenchCommand.class,
            ConvertCommand.class,
            LoadCommand.class,
            TrainCommand.class,
            ServeCommand.class,
        },
        footerHeading = "%n",
        footer = {
            NextTokenCli.NANOGPT_NOTE,
            "",
            "Exit status: 0 success; 2 bad arguments, unreadable file or bad model folder;"
                    + " 3 the Nd4j backend could not start; 1 internal error.",
            "Logs go to standard error; with --json, standard output holds one JSON object and nothing else.",
        })
public final class NextTokenCli implements Callable<Integer> {

    /** The help footer of the commands that accept nanoGPT's {@code sample.py} names. */
    static final String NANOGPT_NOTE = "nanoGPT's sample.py names work too: --start=FILE:prompt.txt,"
            + " --num_samples=3, --max_new_tokens=100, --temperature=0.8, --top_k=200, --seed=1337."
            + " --init_from and --out_dir are rejected (give --model DIR, a Hugging Face GPT-2 folder);"
            + " --device, --dtype and --compile are ignored with a note.";

    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Log what nexttoken does (INFO) and print stack traces of errors, all on standard error.")
    boolean verbose;

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the command-line arguments, for example {@code tokenize --start "Hello world"}
     */
    public static void main(String[] args) {
        OffHeapLimits.apply();                 // before any command starts Nd4j: mapped weights must not count
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the command line against the given streams, without exiting the JVM.
     *
     * @param args the command-line arguments, for example {@code tokenize --start "Hello world"}
     * @param out  standard output; receives UTF-8
     * @param err  standard error; receives UTF-8
     * @return the exit code, one of {@link ExitCodes}
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        PrintWriter outWriter = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter errWriter = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        try {
            return newCommandLine(outWriter, errWriter).execute(args);
        } finally {
            outWriter.flush();
            errWriter.flush();
        }
    }

    /**
     * A fully configured command line: subcommands, error handlers, logging set-up. Commands
     * print through {@code spec.commandLine().getOut()} and {@code getErr()}, so they reach
     * {@code out} and {@code err}. (picocli's {@code setOut} and {@code setErr} reach only the
     * subcommands already added: after {@code addSubcommand}, call them again.)
     *
     * @param out where commands print their results (and {@code --help} its text)
     * @param err where errors, notes and logs of the command line go
     * @return a new command line; call {@link CommandLine#execute(String...)} on it
     */
    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new NextTokenCli());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionStrategy(NextTokenCli::executeParsed);
        commandLine.setParameterExceptionHandler(new CliParameterExceptionHandler());
        commandLine.setExecutionExceptionHandler(new CliExecutionExceptionHandler());
        return commandLine;
    }

    /** Without a command: the usage on standard error, and a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("nexttoken: missing COMMAND; choose one below");
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    /**
     * Sets up logging for {@code --verbose}, then runs the innermost command. picocli passes only
     * {@link Exception}s to the execution-exception handler; an {@link Error} (Nd4j's failures to
     * start arrive as {@code ExceptionInInitializerError}, {@code UnsatisfiedLinkError} or
     * {@code NoClassDefFoundError}) is wrapped so that it reaches the handler too.
     */
    private static int executeParsed(ParseResult parseResult) {
        Logging.configure(isVerbose(parseResult));
        try {
            return new CommandLine.RunLast().execute(parseResult);
        } catch (Error error) {
            List<CommandLine> commands = parseResult.asCommandLineList();
            throw new CommandLine.ExecutionException(commands.get(commands.size() - 1), error.toString(), error);
        }
    }

    /**
     * Whether {@code --verbose} was given, on the top-level command or on a subcommand.
     *
     * @param parseResult the parsed command line
     * @return true if {@code --verbose} was given
     */
    static boolean isVerbose(ParseResult parseResult) {
        for (ParseResult result = parseResult; result != null; result = result.subcommand()) {
            if (result.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code --verbose} is among the raw arguments (before a {@code --}), for errors
     * found while parsing, when there is no complete parse result.
     *
     * @param args the raw arguments
     * @return true if {@code --verbose} was given
     */
    static boolean isVerbose(String[] args) {
        for (String arg : args) {
            if (arg.equals("--")) {
                return false;
            }
            if (arg.equals("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
