package dev.nexttoken.examples;

import dev.nexttoken.core.model.Gpt2Weights;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on standard error while the weights load ({@code me.tongfei:progressbar}).
 *
 * <p>It is drawn only when both hold: standard error is a terminal (so a log file or a pipe
 * never receives carriage-return updates), and the weights are at least {@link #MIN_BYTES}
 * (smaller ones load in well under a second and a bar would only flicker). The bar starts at
 * the first report of the loader, so its total is the loader's, and ends on a line of its own.
 */
public final class LoadProgress implements Gpt2Weights.ProgressListener, AutoCloseable {

    /** The smallest weights, in bytes, that get a bar: 100 MiB (gpt2 itself is about 500 MB). */
    public static final long MIN_BYTES = 100L << 20;

    private static final long MIB = 1L << 20;

    private final PrintWriter err;
    private final boolean enabled;
    private final long minBytes;
    private ProgressBar bar;
    private TerminalBarConsumer consumer;

    /**
     * @param err      where the bar is drawn (the command's standard error)
     * @param enabled  whether a bar may be drawn at all (see {@link #stderrIsTerminal()})
     * @param minBytes the smallest total that gets a bar
     */
    LoadProgress(PrintWriter err, boolean enabled, long minBytes) {
        this.err = err;
        this.enabled = enabled;
        this.minBytes = minBytes;
    }

    /**
     * The progress of loading a model folder onto a command's standard error, drawn under the
     * rules of the class description.
     *
     * @param err the command's standard error
     * @return a listener for {@code Generator.load}; close it after loading
     */
    public static LoadProgress onTerminal(PrintWriter err) {
        return new LoadProgress(err, stderrIsTerminal(), MIN_BYTES);
    }

    @Override
    public void progress(long bytesLoaded, long bytesTotal) {
        if (bar == null) {
            if (!enabled || bytesTotal < minBytes) {
                return;
            }
            bar = new ProgressBarBuilder()
                    .setTaskName("loading weights")
                    .setInitialMax(bytesTotal)
                    .setUnit(" MiB", MIB)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(200)
                    .setConsumer(consumer = new TerminalBarConsumer(err, TerminalBarConsumer.terminalWidth(80, 40, 160)))
                    .build();
        }
        bar.stepTo(bytesLoaded);
    }

    /** Whether a bar was drawn. */
    boolean shown() {
        return bar != null;
    }

    /** Completes the bar, if one was drawn, and ends its line. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close(); // draws the final state; it closes the consumer only if it had drawn before
            consumer.close();
            bar = null;
        }
    }

    /**
     * Whether the process's standard error is a terminal. On Linux this reads where file
     * descriptor 2 points ({@code /dev/pts/N}, {@code /dev/ttyN}); elsewhere it falls back to
     * {@link System#console()}, which exists when the JVM runs interactively.
     *
     * @return true if a progress bar on standard error would be seen by a person
     */
    public static boolean stderrIsTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.isSymbolicLink(fd2)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            // not Linux, or not allowed to look: fall back below
        }
        return System.console() != null;
    }
}
