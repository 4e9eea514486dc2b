package dev.nexttoken.examples;

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
    void keepsTextAndTheTokenizersByteEscapes() {
        assertEquals("\"é\"", TokenText.quote("é"));
        assertEquals("\"\\xf0\\x9f\\x91\"", TokenText.quote("\\xf0\\x9f\\x91"));
        assertEquals("\"<|endoftext|>\"", TokenText.quote("<|endoftext|>"));
    }
}
