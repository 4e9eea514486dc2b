package dev.nexttoken.tokenizer;

import java.util.Arrays;

/**
 * An incremental UTF-8 decoder: fed bytes in any chunks, it appends every character as soon as
 * its last byte arrives and keeps the bytes of an unfinished character until it is complete.
 *
 * <p>Well-formedness follows the Unicode Standard (table 3-7): no overlong forms, no surrogates,
 * nothing above U+10FFFF. Ill-formed bytes are reported as soon as they can no longer start or
 * continue a valid character, one maximal subpart at a time (the Standard's recommended
 * practice, followed by Python and browsers). Java's own decoder does the same except for
 * encoded surrogates ({@code ED A0..BF xx}): it holds {@code ED A0} back and then replaces the
 * three bytes by one U+FFFD, where this decoder reports {@code ED} at once and gives three.
 *
 * <p>Not thread-safe.
 */
final class Utf8Decoder {

    /** What to write for ill-formed bytes. */
    enum InvalidBytes {
        /** One U+FFFD per maximal ill-formed subpart, as a standard decoder with REPLACE. */
        REPLACE,
        /** Each ill-formed byte as {@code \xNN} (lower-case hex), readable for display. */
        ESCAPE
    }

    private static final char REPLACEMENT = '\uFFFD';
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final InvalidBytes invalidBytes;
    private final byte[] pending = new byte[4];
    private int pendingLength;
    /** Total length of the character being assembled; meaningful while pendingLength > 0. */
    private int expectedLength;

    Utf8Decoder(InvalidBytes invalidBytes) {
        this.invalidBytes = invalidBytes;
    }

    /** Decodes {@code bytes}, appending every character completed by them to {@code out}. */
    void decode(byte[] bytes, StringBuilder out) {
        for (byte b : bytes) {
            decode(b, out);
        }
    }

    /** Ends the input: an unfinished character is written as ill-formed, and the state is reset. */
    void finish(StringBuilder out) {
        if (pendingLength > 0) {
            writeInvalid(pending, pendingLength, out);
            pendingLength = 0;
        }
    }

    /** The bytes of the unfinished character (a copy; empty when none). */
    byte[] pendingBytes() {
        return Arrays.copyOf(pending, pendingLength);
    }

    private void decode(byte b, StringBuilder out) {
        int u = b & 0xFF;
        if (pendingLength > 0) {
            if (continues(u)) {
                pending[pendingLength++] = b;
                if (pendingLength == expectedLength) {
                    out.appendCodePoint(codePoint());
                    pendingLength = 0;
                }
                return;
            }
            // The pending bytes can never be completed: report them, then start afresh with u.
            writeInvalid(pending, pendingLength, out);
            pendingLength = 0;
        }
        if (u < 0x80) {
            out.append((char) u);
            return;
        }
        int length = sequenceLength(u);
        if (length == 0) {
            pending[0] = b;
            writeInvalid(pending, 1, out);
            return;
        }
        pending[0] = b;
        pendingLength = 1;
        expectedLength = length;
    }

    /** The length of the character a lead byte starts, or 0 if it cannot start one. */
    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 0; // 0x80-0xC1 (continuation or overlong lead) and 0xF5-0xFF
    }

    /** Whether {@code u} may be the next byte of the pending character. */
    private boolean continues(int u) {
        if (pendingLength > 1) {
            return u >= 0x80 && u <= 0xBF;
        }
        // The second byte's range depends on the lead byte.
        int lead = pending[0] & 0xFF;
        return switch (lead) {
            case 0xE0 -> u >= 0xA0 && u <= 0xBF; // no overlong 3-byte forms
            case 0xED -> u >= 0x80 && u <= 0x9F; // no surrogates U+D800-U+DFFF
            case 0xF0 -> u >= 0x90 && u <= 0xBF; // no overlong 4-byte forms
            case 0xF4 -> u >= 0x80 && u <= 0x8F; // nothing above U+10FFFF
            default -> u >= 0x80 && u <= 0xBF;
        };
    }

    /** The code point of the complete, well-formed pending sequence. */
    private int codePoint() {
        int lead = pending[0] & 0xFF;
        int cp = lead & (0xFF >> (expectedLength + 1)); // 0x1F, 0x0F or 0x07
        for (int i = 1; i < expectedLength; i++) {
            cp = (cp << 6) | (pending[i] & 0x3F);
        }
        return cp;
    }

    private void writeInvalid(byte[] bytes, int length, StringBuilder out) {
        if (invalidBytes == InvalidBytes.REPLACE) {
            out.append(REPLACEMENT);
            return;
        }
        for (int i = 0; i < length; i++) {
            int u = bytes[i] & 0xFF;
            out.append('\\').append('x').append(HEX[u >> 4]).append(HEX[u & 0xF]);
        }
    }
}
