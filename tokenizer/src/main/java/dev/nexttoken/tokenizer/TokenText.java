package dev.nexttoken.tokenizer;

/**
 * Shows a token's piece of text on one line, the one escaping used wherever tokens are displayed
 * (the CLI's tables, {@code NextTokenTable.toString()}, a trace candidate's {@code toString()}):
 * line breaks, tabs and other control characters are written as escapes ({@code \n}, {@code \t},
 * {@code \r}; ESC, U+001B, as <code>&#92;u001b</code>) so that a token never breaks a line, and
 * {@link #quote} also writes {@code "} as {@code \"} so that a quoted token never ends early. The
 * {@code \xNN} escapes that {@link Tokenizer#piece(int)} uses for bytes that are not whole UTF-8
 * characters are kept as they are (a backslash is not escaped, so they stay readable).
 */
public final class TokenText {

    private TokenText() {
    }

    /**
     * A piece of text with control characters escaped.
     *
     * @param piece a token's display text, from {@code Tokenizer.piece(id)}
     * @return for example {@code \n\n} for two line breaks; printable text unchanged
     */
    public static String escape(String piece) {
        return escape(piece, false);
    }

    /**
     * A piece of text in double quotes, so that leading spaces are visible, with control
     * characters and double quotes escaped.
     *
     * @param piece a token's display text, from {@code Tokenizer.piece(id)}
     * @return for example {@code " world"}, {@code "\n\n"} or {@code "\""}, quotes included
     */
    public static String quote(String piece) {
        return '"' + escape(piece, true) + '"';
    }

    private static String escape(String piece, boolean quotes) {
        StringBuilder out = new StringBuilder(piece.length() + 2);
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case '"' -> out.append(quotes ? "\\\"" : "\"");
                default -> {
                    if (Character.isISOControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
