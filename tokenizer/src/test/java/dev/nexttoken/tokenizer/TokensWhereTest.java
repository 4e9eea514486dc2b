package dev.nexttoken.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link Tokenizer#tokensWhere}: selecting tokens by their text, on the real GPT-2 vocabulary. */
class TokensWhereTest {

    private static final Tokenizer TOKENIZER = Tokenizer.gpt2();

    private static boolean hasDigit(String text) {
        return text.chars().anyMatch(Character::isDigit);
    }

    private static int single(String text) {
        int[] ids = TOKENIZER.encode(text);
        assertEquals(1, ids.length, text + " is one token");
        return ids[0];
    }

    @Test
    void everyTokenWithADigitAndNoOther() {
        int[] digits = TOKENIZER.tokensWhere(TokensWhereTest::hasDigit);

        for (int id : digits) {
            assertTrue(hasDigit(TOKENIZER.decode(new int[] {id})), id + " " + TOKENIZER.piece(id));
        }
        assertTrue(Arrays.binarySearch(digits, single(" 2019")) >= 0);
        assertTrue(Arrays.binarySearch(digits, single("1")) >= 0);
        assertEquals(16, single("1")); // "0".."9" are ids 15..24
        for (int digit = 15; digit <= 24; digit++) {
            assertTrue(Arrays.binarySearch(digits, digit) >= 0, "digit token " + digit);
        }
        assertTrue(Arrays.binarySearch(digits, single(" world")) < 0);
        assertTrue(Arrays.binarySearch(digits, single("hello")) < 0);
        assertTrue(digits.length > 1000, "GPT-2 has many number tokens, got " + digits.length);
        int[] sorted = digits.clone();
        Arrays.sort(sorted);
        assertArrayEquals(sorted, digits);
    }

    @Test
    void brokenUtf8BytesDoNotMatchThroughTheirHexEscape() {
        // token 41840's piece is \xf0\x9f\x91, whose hex digits are digits; its text is U+FFFD
        assertTrue(hasDigit(TOKENIZER.piece(41840)));
        int[] digits = TOKENIZER.tokensWhere(TokensWhereTest::hasDigit);
        assertTrue(Arrays.binarySearch(digits, 41840) < 0);
    }

    @Test
    void endOfTextIsTestedAsItsText() {
        assertArrayEquals(new int[] {50256}, TOKENIZER.tokensWhere("<|endoftext|>"::equals));
        assertArrayEquals(new int[] {198}, TOKENIZER.tokensWhere("\n"::equals));
        assertFalse(TOKENIZER.tokensWhere(text -> false).length > 0);
    }
}
