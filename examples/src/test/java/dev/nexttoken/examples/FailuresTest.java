package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4jBackend;

/**
 * How failures while a command runs become exit codes and lines. The backend failures are built
 * the way Nd4j 1.0.0-M2.1 throws them (recorded with a class path without nd4j-native, and one
 * without openblas).
 */
class FailuresTest {

    /** No backend on the class path: what the first use of {@code Nd4j} throws. */
    private static Throwable noBackend() {
        Nd4jBackend.NoAvailableBackendException cause = new Nd4jBackend.NoAvailableBackendException(
                "Please ensure that you have an nd4j backend on your classpath."
                        + " Please see: https://deeplearning4j.konduit.ai/nd4j/backend");
        return new ExceptionInInitializerError(new RuntimeException(cause));
    }

    /** nd4j-native without openblas. */
    private static Throwable noOpenBlas() {
        ClassNotFoundException missing = new ClassNotFoundException("org.bytedeco.openblas.global.openblas");
        TypeNotPresentException notPresent = new TypeNotPresentException("org.bytedeco.openblas.global.openblas", missing);
        ExceptionInInitializerError inner = new ExceptionInInitializerError(notPresent);
        RuntimeException holder = new RuntimeException(
                "ND4J is probably missing dependencies. For more information, please refer to:"
                        + " https://deeplearning4j.konduit.ai/nd4j/backend", inner);
        return new ExceptionInInitializerError(holder);
    }

    /** A native library that does not load, thrown inside javacpp's loader. */
    private static Throwable unsatisfiedLink() {
        UnsatisfiedLinkError error = new UnsatisfiedLinkError("no jnind4jcuda in java.library.path");
        error.setStackTrace(new StackTraceElement[] {
            new StackTraceElement("org.bytedeco.javacpp.Loader", "loadLibrary", "Loader.java", 1800),
        });
        return error;
    }

    @Test
    void backendFailuresExitWith3() {
        for (Throwable failure : List.of(noBackend(), noOpenBlas(), unsatisfiedLink(),
                new NoClassDefFoundError("Could not initialize class org.nd4j.linalg.factory.Nd4j"))) {
            assertTrue(BackendFailure.isBackendFailure(failure), failure.toString());
            assertEquals(ExitCodes.BACKEND, Failures.exitCode(failure), failure.toString());
        }
    }

    @Test
    void backendLineNamesTheInnermostCauseAndTheRequirements() {
        assertEquals("the Nd4j backend could not start: ClassNotFoundException:"
                + " org.bytedeco.openblas.global.openblas (CPU: needs nd4j-native and openblas for linux-x86_64;"
                + " CUDA: needs a GPU of compute capability 3.7-8.6 and CUDA 11.6)",
                BackendFailure.describe(noOpenBlas()));
        assertTrue(BackendFailure.describe(noBackend())
                .startsWith("the Nd4j backend could not start: NoAvailableBackendException: Please ensure"));
    }

    @Test
    void otherLinkageErrorsAreNotBackendFailures() {
        UnsatisfiedLinkError elsewhere = new UnsatisfiedLinkError("no jlinenative in java.library.path");
        elsewhere.setStackTrace(new StackTraceElement[] {
            new StackTraceElement("org.jline.nativ.JLineLibrary", "load", "JLineLibrary.java", 40),
        });

        assertFalse(BackendFailure.isBackendFailure(elsewhere));
        assertEquals(ExitCodes.SOFTWARE, Failures.exitCode(elsewhere));
    }

    @Test
    void userErrorsExitWith2() {
        assertEquals(ExitCodes.USAGE, Failures.exitCode(new IllegalArgumentException("top_p must be in (0, 1], got 1.5")));
        assertEquals(ExitCodes.USAGE, Failures.exitCode(new BadArgumentException("--start FILE:x: no such file")));
        assertEquals(ExitCodes.USAGE, Failures.exitCode(new FakeLibraryException("bad")));
        assertEquals(ExitCodes.USAGE, Failures.exitCode(new FakeLibraryException.BadModelFolder("bad")));
        assertEquals(ExitCodes.SOFTWARE, Failures.exitCode(new IllegalStateException("bug")));
        assertEquals(ExitCodes.SOFTWARE, Failures.exitCode(new NullPointerException()));
    }

    @Test
    void libraryErrorIsItsMessageOnOneLine() {
        CliRun run = CliRun.runWith(new ThrowingCommand(() -> new FakeLibraryException.BadModelFolder(
                "models/x/model.safetensors: tensor 'wte.weight' has shape [10, 4],\nexpected [50257, 768]")), "fail");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(List.of("nexttoken fail: models/x/model.safetensors: tensor 'wte.weight' has shape [10, 4],"
                + " expected [50257, 768]"), run.errLines());
        assertEquals("", run.out());
    }

    @Test
    void illegalArgumentFromTheLibraryIsABadArgument() {
        CliRun run = CliRun.runWith(new ThrowingCommand(
                () -> new IllegalArgumentException("top_p must be in (0, 1], got 1.5")), "fail");

        assertEquals(ExitCodes.USAGE, run.exitCode());
        assertEquals(List.of("nexttoken fail: top_p must be in (0, 1], got 1.5"), run.errLines());
    }

    @Test
    void backendErrorsThrownByACommandExitWith3OnOneLine() {
        for (Throwable failure : List.of(noBackend(), noOpenBlas(), unsatisfiedLink())) {
            CliRun run = CliRun.runWith(new ThrowingCommand(() -> failure), "fail");

            assertEquals(ExitCodes.BACKEND, run.exitCode(), run.err());
            assertEquals(1, run.errLines().size(), run.err());
            assertTrue(run.err().startsWith("nexttoken fail: the Nd4j backend could not start: "), run.err());
        }
    }

    @Test
    void unexpectedErrorIsAnInternalErrorWithoutStackTrace() {
        CliRun run = CliRun.runWith(new ThrowingCommand(() -> new IllegalStateException("cache overflow")), "fail");

        assertEquals(ExitCodes.SOFTWARE, run.exitCode());
        assertEquals(List.of("nexttoken fail: internal error: IllegalStateException: cache overflow"
                + " (run with --verbose for the stack trace)"), run.errLines());
    }

    @Test
    void unexpectedJvmErrorIsAnInternalErrorToo() {
        CliRun run = CliRun.runWith(new ThrowingCommand(() -> new OutOfMemoryError("Java heap space")), "fail");

        assertEquals(ExitCodes.SOFTWARE, run.exitCode());
        assertEquals(List.of("nexttoken fail: internal error: OutOfMemoryError: Java heap space"
                + " (run with --verbose for the stack trace)"), run.errLines());
    }

    @Test
    void verbosePrintsTheStackTraceAfterTheLine() {
        CliRun run = CliRun.runWith(new ThrowingCommand(() -> new IllegalStateException("cache overflow")),
                "--verbose", "fail");

        assertEquals(ExitCodes.SOFTWARE, run.exitCode());
        assertEquals("nexttoken fail: internal error: IllegalStateException: cache overflow", run.errLines().get(0));
        assertEquals("java.lang.IllegalStateException: cache overflow", run.errLines().get(1));
        assertTrue(run.err().contains("\tat dev.nexttoken.examples.ThrowingCommand.call"), run.err());
    }

    @Test
    void oneLineCollapsesLineBreaks() {
        assertEquals("a b c", Failures.oneLine("  a\n  b\r\nc\n"));
    }
}
