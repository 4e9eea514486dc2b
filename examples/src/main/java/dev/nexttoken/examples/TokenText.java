package dev.nexttoken.examples;

/**
 * Shows a token's piece of text in a table: in double quotes, so that leading spaces are visible,
 * with line breaks, tabs and other control characters written as escapes ({@code \n}, {@code \t},
 * {@code \r}; ESC, U+001B, as <code>&#92;u001b</code>). The {@code \xNN} escapes that
 * {@link dev.nexttoken.tokenizer.Tokenizer#piece(int)} uses for bytes that are not whole UTF-8
 * characters are kept as they are.
 */
public final class TokenText {

    private TokenText() {
    }

    /**
     * A piece of text in quotes with control characters escaped.
     *
     * @param piece a token's display text, from {@code Tokenizer.piece(id)}
     * @return for example {@code " world"} or {@code "\n\n"}, quotes included
     */
    public static String quote(String piece) {
        StringBuilder out = new StringBuilder(piece.length() + 2).append('"');
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (Character.isISOControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
