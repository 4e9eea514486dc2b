package dev.nexttoken.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.nexttoken.tokenizer.Fixtures.TokenString;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Checks encode and decode against OpenAI's tiktoken on the 43 strings of tokens.json. */
class TokenizerFixtureTest {

    private static final Tokenizer TOKENIZER = Tokenizer.gpt2();

    static Stream<TokenString> strings() {
        return Fixtures.tokens().strings().stream();
    }

    static Stream<TokenString> stringsWithEndOfText() {
        return strings().filter(s -> s.idsWithSpecialAllowed() != null);
    }

    static Stream<TokenString> stringsWithoutEndOfText() {
        return strings().filter(s -> !s.text().contains("<|endoftext|>"));
    }

    @Test
    void fixtureHoldsAllStrings() {
        assertEquals(43, strings().count());
        assertEquals(2, stringsWithEndOfText().count());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strings")
    void encodesToTiktokensIds(TokenString string) {
        assertArrayEquals(string.ids(), TOKENIZER.encode(string.text()));
        assertArrayEquals(string.ids(), TOKENIZER.encode(string.text(), SpecialTokens.AS_TEXT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strings")
    void decodeRoundTrips(TokenString string) {
        assertEquals(string.text(), TOKENIZER.decode(string.ids()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strings")
    void tokenBytesConcatenateToTheUtf8OfTheText(TokenString string) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : string.ids()) {
            bytes.writeBytes(TOKENIZER.tokenBytes(id));
        }
        assertEquals(string.utf8Hex(), Fixtures.hex(bytes.toByteArray()));
        assertArrayEquals(string.text().getBytes(StandardCharsets.UTF_8), bytes.toByteArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stringsWithoutEndOfText")
    void allowingEndOfTextChangesNothingWhenTheTextHasNone(TokenString string) {
        assertArrayEquals(string.ids(), TOKENIZER.encode(string.text(), SpecialTokens.ALLOWED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stringsWithEndOfText")
    void endOfTextIsPlainTextByDefault(TokenString string) {
        int[] ids = TOKENIZER.encode(string.text());
        assertFalse(Arrays.stream(ids).anyMatch(id -> id == TOKENIZER.endOfTextId()));
        assertEquals(string.text(), TOKENIZER.decode(ids));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stringsWithEndOfText")
    void endOfTextBecomesOneTokenWhenAllowed(TokenString string) {
        int[] ids = TOKENIZER.encode(string.text(), SpecialTokens.ALLOWED);
        assertArrayEquals(string.idsWithSpecialAllowed(), ids);
        assertEquals(string.text(), TOKENIZER.decode(ids));
    }
}
