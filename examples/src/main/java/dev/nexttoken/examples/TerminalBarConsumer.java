package dev.nexttoken.examples;

import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBarConsumer;

/**
 * Draws a progress bar on one line of a writer (standard error), redrawing it after a carriage
 * return, and can print whole lines above it. Shared by the load bar and the training bar.
 */
final class TerminalBarConsumer implements ProgressBarConsumer {

    private final PrintWriter out;
    private final int width;
    private String lastBar = "";
    private boolean closed;

    TerminalBarConsumer(PrintWriter out, int width) {
        this.out = out;
        this.width = width;
    }

    /**
     * The terminal's width from {@code COLUMNS} when exported, kept within {@code [min, max]}.
     *
     * @param fallback the width when {@code COLUMNS} is unset or not a number
     */
    static int terminalWidth(int fallback, int min, int max) {
        try {
            int columns = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", String.valueOf(fallback)).strip());
            return Math.max(min, Math.min(columns, max));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    @Override
    public int getMaxRenderedLength() {
        return width - 1;
    }

    @Override
    public synchronized void accept(String rendered) {
        lastBar = rendered;
        out.print('\r');
        out.print(rendered);
        out.flush();
    }

    /** Replaces the bar's line with {@code text}, then redraws the bar below it. */
    synchronized void printAbove(String text) {
        out.print('\r');
        out.print(text);
        out.print(" ".repeat(Math.max(0, lastBar.length() - text.length())));
        out.println();
        out.print(lastBar);
        out.flush();
    }

    /** Ends the bar's line, once. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            out.println();
            out.flush();
        }
    }
}
