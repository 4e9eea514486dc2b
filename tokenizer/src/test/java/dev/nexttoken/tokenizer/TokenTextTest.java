package dev.nexttoken.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TokenTextTest {

    @Test
    void quotesAndEscapesControlCharacters() {
        assertEquals("\" world\"", TokenText.quote(" world"));
        assertEquals("\"\\n\\n\"", TokenText.quote("\n\n"));
        assertEquals("\"\\t\\r\"", TokenText.quote("\t\r"));
        assertEquals("\"\\u001b[0m\"", TokenText.quote("\u001b[0m"));
        assertEquals("\"\\u007f\"", TokenText.quote("\u007f"));
        assertEquals("\"\"", TokenText.quote(""));
    }

    @Test
    void quoteEscapesDoubleQuotesAndEscapeLeavesThem() {
        assertEquals("\"\\\"\"", TokenText.quote("\""));
        assertEquals("\" \\\"Hello\"", TokenText.quote(" \"Hello"));
        assertEquals(" \"Hello", TokenText.escape(" \"Hello"));
    }

    @Test
    void escapeWritesControlCharactersWithoutQuotes() {
        assertEquals("\\n", TokenText.escape("\n"));
        assertEquals("a\\tb", TokenText.escape("a\tb"));
        assertEquals("\\u0000\\u0085", TokenText.escape("\u0000\u0085"));
        assertEquals(" world", TokenText.escape(" world"));
    }

    @Test
    void escapesTheRealNewlineTokens() {
        Tokenizer tokenizer = Tokenizer.gpt2();
        assertEquals("\\n", TokenText.escape(tokenizer.piece(198)));
        assertEquals("\"\\n\\n\"", TokenText.quote(tokenizer.piece(628)));
    }

    @Test
    void keepsTextAndTheTokenizersByteEscapes() {
        assertEquals("\"é\"", TokenText.quote("é"));
        assertEquals("\"\\xf0\\x9f\\x91\"", TokenText.quote("\\xf0\\x9f\\x91"));
        assertEquals("\"<|endoftext|>\"", TokenText.quote("<|endoftext|>"));
    }
}
