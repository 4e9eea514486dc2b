package dev.nexttoken.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The tokenizer's API beyond the reference strings: edge cases, errors, pieces. */
class TokenizerTest {

    private static final Tokenizer TOKENIZER = Tokenizer.gpt2();
    private static final int HELLO = 15496;
    private static final int EOT = 50256;

    @Test
    void gpt2IsOneSharedInstance() {
        assertSame(TOKENIZER, Tokenizer.gpt2());
    }

    @Test
    void vocabularyIsGpt2s() {
        assertEquals(50257, TOKENIZER.vocabSize());
        assertEquals(50256, TOKENIZER.endOfTextId());
    }

    @Test
    void endOfTextDecodesToItsMarker() {
        assertEquals("<|endoftext|>", TOKENIZER.decode(new int[] {EOT}));
        assertEquals("<|endoftext|>", TOKENIZER.piece(EOT));
        assertArrayEquals("<|endoftext|>".getBytes(StandardCharsets.US_ASCII), TOKENIZER.tokenBytes(EOT));
    }

    @Test
    void emptyTextHasNoTokens() {
        assertEquals(0, TOKENIZER.encode("").length);
        assertEquals(0, TOKENIZER.encode("", SpecialTokens.ALLOWED).length);
        assertEquals("", TOKENIZER.decode(new int[0]));
    }

    @ParameterizedTest(name = "id {0}")
    @ValueSource(ints = {-1, 50257, 60000, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void idsOutsideTheVocabularyAreRejected(int id) {
        String message = "token id " + id + " is outside the vocabulary [0, 50257)";
        for (Executable call : List.<Executable>of(
                () -> TOKENIZER.decode(new int[] {HELLO, id}),
                () -> TOKENIZER.tokenBytes(id),
                () -> TOKENIZER.piece(id),
                () -> TOKENIZER.newStreamingDecoder().accept(id))) {
            assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
        }
    }

    @Test
    void nullArgumentsAreRejected() {
        assertThrows(NullPointerException.class, () -> TOKENIZER.encode(null));
        assertThrows(NullPointerException.class, () -> TOKENIZER.encode("x", null));
        assertThrows(NullPointerException.class, () -> TOKENIZER.decode(null));
    }

    static Stream<Arguments> endOfTextPlacements() {
        return Stream.of(
                Arguments.of("<|endoftext|>", new int[] {EOT}),
                Arguments.of("<|endoftext|><|endoftext|>", new int[] {EOT, EOT}),
                Arguments.of("<|endoftext|>Hello", new int[] {EOT, HELLO}),
                Arguments.of("Hello<|endoftext|>", new int[] {HELLO, EOT}),
                Arguments.of("Hello<|endoftext|>Hello", new int[] {HELLO, EOT, HELLO}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("endOfTextPlacements")
    void endOfTextIsSplitOutWhereverItIsWhenAllowed(String text, int[] expected) {
        assertArrayEquals(expected, TOKENIZER.encode(text, SpecialTokens.ALLOWED));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"<|endoftext|", "|endoftext|>", "<|ENDOFTEXT|>", "<| endoftext |>"})
    void onlyTheExactMarkerIsSpecial(String text) {
        assertArrayEquals(TOKENIZER.encode(text), TOKENIZER.encode(text, SpecialTokens.ALLOWED));
    }

    @Test
    void tokenBytesAreACopy() {
        byte[] bytes = TOKENIZER.tokenBytes(HELLO);
        bytes[0] = 'J';
        assertEquals("Hello", new String(TOKENIZER.tokenBytes(HELLO), StandardCharsets.UTF_8));
        assertEquals("Hello", TOKENIZER.decode(new int[] {HELLO}));
    }

    @ParameterizedTest(name = "{0} -> \"{1}\"")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "15496 | Hello",
        "220   | \" \"",
        "5641  | の",
        "43302 | スト",
        "41840 | \\xf0\\x9f\\x91",   // the first 3 bytes of 👨
        "101   | \\xa8",             // its last byte
        "564   | \" \\xe2\\x80\"",   // a space, then 2 bytes of a 3-byte character
        "222   | \\x80",
    })
    void pieceShowsTextAndEscapesBytesThatAreNotWholeCharacters(int id, String expected) {
        assertEquals(expected, TOKENIZER.piece(id));
    }

    @Test
    void pieceOfEveryValidTokenIsItsText() {
        int valid = 0;
        for (int id = 0; id < TOKENIZER.vocabSize(); id++) {
            byte[] bytes = TOKENIZER.tokenBytes(id);
            String strict = strictUtf8(bytes);
            if (strict != null) {
                valid++;
                assertEquals(strict, TOKENIZER.piece(id), "token " + id);
            } else {
                assertTrue(TOKENIZER.piece(id).contains("\\x"), "token " + id);
            }
        }
        assertTrue(valid > 49_000, "most GPT-2 tokens are whole characters, got " + valid);
    }

    @Test
    void encodingIsSafeFromManyThreads() throws Exception {
        Callable<Boolean> encodeAll = () -> Fixtures.tokens().strings().stream()
                .allMatch(s -> Arrays.equals(s.ids(), Tokenizer.gpt2().encode(s.text())));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (Future<Boolean> result : pool.invokeAll(Collections.nCopies(16, encodeAll))) {
                assertTrue(result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The bytes as text if they are entirely valid UTF-8, else null (JDK decoder, REPORT mode). */
    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
