package dev.nexttoken.core;

import dev.nexttoken.tokenizer.StreamingDecoder;
import dev.nexttoken.tokenizer.Tokenizer;

import java.util.List;

/**
 * The text of one sample as it grows, token by token: decodes UTF-8 safely, finds stop strings,
 * and tells which part is safe to show (text that could still become a stop string is held back).
 * One per sample; not thread-safe.
 */
final class SampleText {

    private final StreamingDecoder decoder;
    private final List<String> stopStrings;
    private final int longestStop;
    private final StringBuilder text = new StringBuilder();
    private int shown;
    private boolean stopped;

    SampleText(Tokenizer tokenizer, List<String> stopStrings) {
        this.decoder = tokenizer.newStreamingDecoder();
        this.stopStrings = stopStrings;
        this.longestStop = stopStrings.stream().mapToInt(String::length).max().orElse(0);
    }

    /** Adds a token; returns the new text safe to show. */
    String accept(int tokenId) {
        append(decoder.accept(tokenId));
        return takeShowable(false);
    }

    /** Ends the sample: flushes held bytes and returns everything not shown yet. */
    String finish() {
        if (!stopped) {
            append(decoder.flush());
        }
        return takeShowable(true);
    }

    /** Whether the text reached a stop string (the text now ends before it). */
    boolean stopped() {
        return stopped;
    }

    /** The whole text so far. */
    String text() {
        return text.toString();
    }

    private void append(String piece) {
        if (stopped || piece.isEmpty()) {
            return;
        }
        int searchFrom = Math.max(0, text.length() - longestStop + 1);
        text.append(piece);
        int cut = -1;
        for (String stop : stopStrings) {
            int at = text.indexOf(stop, searchFrom);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            text.setLength(cut);
            stopped = true;
        }
    }

    private String takeShowable(boolean all) {
        int end = all || stopped ? text.length() : text.length() - heldBack();
        if (end <= shown) {
            return "";
        }
        String piece = text.substring(shown, end);
        shown = end;
        return piece;
    }

    /** Whether the text ends with the first {@code n} characters of {@code stop}. */
    private boolean endsWith(String stop, int n) {
        int offset = text.length() - n;
        for (int i = 0; i < n; i++) {
            if (text.charAt(offset + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Length of the longest end of the text that is the start of some stop string. */
    private int heldBack() {
        int best = 0;
        for (String stop : stopStrings) {
            for (int n = Math.min(stop.length() - 1, text.length()); n > best; n--) {
                if (endsWith(stop, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
