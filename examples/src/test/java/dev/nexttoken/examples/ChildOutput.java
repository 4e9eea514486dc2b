package dev.nexttoken.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** The standard output of a child JVM, line by line as it comes, for tests that start one. */
final class ChildOutput {

    /** The line added after the child's last line, when its output has ended. */
    static final String END = "\0end";

    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    private ChildOutput(Process process) {
        reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child was killed
            }
            lines.add(END);
        }, "child-output");
        reader.setDaemon(true);
    }

    /** Reads {@code process}'s output on a thread of its own into {@link #lines()}. */
    static ChildOutput start(Process process) {
        ChildOutput output = new ChildOutput(process);
        output.reader.start();
        return output;
    }

    /** The lines so far and to come, ending with {@link #END}. */
    BlockingQueue<String> lines() {
        return lines;
    }

    /** Waits until the child's output has ended and been read. */
    void join() throws InterruptedException {
        reader.join();
    }
}
