package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class LoadProgressTest {

    @Test
    void drawsABarForLargeWeightsOnATerminal() {
        StringWriter err = new StringWriter();
        try (LoadProgress progress = new LoadProgress(new PrintWriter(err), true, 100)) {
            progress.progress(50L << 20, 200L << 20);
            progress.progress(200L << 20, 200L << 20);
            assertTrue(progress.shown());
        }

        String text = err.toString();
        assertTrue(text.startsWith("\rloading weights"), text.replace("\r", "<CR>").replace("\n", "<LF>"));
        assertTrue(text.contains("200/200"), text);
        assertTrue(text.endsWith(System.lineSeparator()), text);
    }

    @Test
    void drawsNothingForSmallWeights() {
        StringWriter err = new StringWriter();
        try (LoadProgress progress = new LoadProgress(new PrintWriter(err), true, LoadProgress.MIN_BYTES)) {
            progress.progress(13L << 20, 13L << 20);
            assertFalse(progress.shown());
        }
        assertEquals("", err.toString());
    }

    @Test
    void drawsNothingWhenStandardErrorIsNotATerminal() {
        StringWriter err = new StringWriter();
        try (LoadProgress progress = new LoadProgress(new PrintWriter(err), false, 0)) {
            progress.progress(1L << 30, 2L << 30);
            assertFalse(progress.shown());
        }
        assertEquals("", err.toString());
    }

    @Test
    void testsDoNotRunOnATerminal() {
        // surefire pipes standard error: the model commands of the other tests draw no bar
        assertFalse(LoadProgress.stderrIsTerminal());
    }
}
