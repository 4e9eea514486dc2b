package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad command lines: exit 2, exactly one line on standard error, nothing on standard output. */
class ArgumentErrorsTest {

    static List<List<String>> badCommandLines() {
        return List.of(
                List.of("tokenize", "--start", "x", "--jsn"),                  // unknown option
                List.of("tokenise", "--start", "x"),                           // unknown command
                List.of("tokenize", "--start"),                                // missing value
                List.of("tokenize", "--start", "a", "--start", "b"),           // given twice
                List.of("tokenize", "--tokens", "1,x"),                        // not an int
                List.of("tokenize", "--tokens", "1", "extra"),                 // stray parameter
                List.of("generate", "--top-k=many"),                           // not an int
                List.of("generate", "--top_p=0.9.1"),                          // not a number
                List.of("generate", "--temperature=hot"),                      // not a number
                List.of("generate", "--seed=1337x"),                           // not a long
                List.of("generate", "--start", "x", "--tokens", "1"),          // exclusive (in a mixin)
                List.of("next", "--top=ten"),                                  // not an int
                List.of("next", "--start", "x", "--temperature=0.5,1"),        // a list without --plot
                List.of("next", "--init_from=gpt2-xl"),                        // nanoGPT model choice
                List.of("generate", "--out_dir=out-shakespeare-char"),         // nanoGPT checkpoint
                List.of("bench", "--model", "m", "--random", "gpt2"),          // exclusive
                List.of("bench", "--random", "gpt2", "--mmap"));               // needs --model
    }

    @ParameterizedTest
    @MethodSource("badCommandLines")
    void badArgumentsExitWith2AndOneLine(List<String> args) {
        CliRun run = CliRun.run(args.toArray(String[]::new));

        assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
        assertEquals(1, run.errLines().size(), run.err());
        assertTrue(run.err().startsWith("nexttoken"), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertEquals("", run.out());
    }

    @Test
    void unknownOptionLineSuggestsTheCloseName() {
        CliRun run = CliRun.run("tokenize", "--start", "x", "--jsn");

        assertEquals(List.of("nexttoken tokenize: Unknown option: '--jsn'; did you mean --json?"
                + " (see 'nexttoken tokenize --help')"), run.errLines());
    }

    @Test
    void wrongTypeLineNamesOptionAndValue() {
        CliRun run = CliRun.run("generate", "--top-k=many");

        assertEquals(List.of("nexttoken generate: Invalid value for option '--top-k': 'many' is not an int"
                + " (see 'nexttoken generate --help')"), run.errLines());
    }

    @Test
    void verboseAddsTheStackTrace() {
        CliRun run = CliRun.run("tokenize", "--verbose", "--start", "x", "--jsn");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertTrue(run.errLines().size() > 1, run.err());
        assertTrue(run.errLines().get(0).startsWith("nexttoken tokenize: Unknown option: '--jsn'"), run.err());
        assertTrue(run.err().contains("\tat picocli."), run.err());
    }

    @Test
    void withoutCommandTheUsageGoesToStandardError() {
        CliRun run = CliRun.run();

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals("", run.out());
        assertTrue(run.err().contains("Usage: nexttoken"), run.err());
        assertTrue(run.err().contains("tokenize"), run.err());
    }

    @Test
    void helpAndVersionGoToStandardOutput() {
        CliRun help = CliRun.run("--help");
        CliRun commandHelp = CliRun.run("tokenize", "--help");
        CliRun version = CliRun.run("--version");

        assertEquals(0, help.exitCode());
        for (String command : List.of("generate", "next", "score", "tokenize", "bench")) {
            assertTrue(help.out().contains("  " + command + " "), command);
        }
        assertEquals(0, commandHelp.exitCode());
        assertTrue(commandHelp.out().contains("--start=TEXT|FILE:path"), commandHelp.out());
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("nexttoken "), version.out());
        assertTrue(version.out().contains("Nd4j 1.0.0-M2.1"), version.out());
        assertEquals("", help.err() + commandHelp.err() + version.err());
    }
}
