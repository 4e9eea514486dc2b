package dev.nexttoken.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nexttoken.tokenizer.Fixtures.Utf8Case;
import dev.nexttoken.tokenizer.Utf8Decoder.InvalidBytes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The byte-level UTF-8 decoder against CPython's decoder, in whole and in pieces. */
class Utf8DecoderTest {

    private static List<Utf8Case> cases;
    /** Every proper prefix of the UTF-8 encoding of every scalar value, as hex. */
    private static Set<String> characterPrefixes;

    @BeforeAll
    static void load() {
        cases = Fixtures.utf8().cases();
        characterPrefixes = new HashSet<>();
        for (int cp = 0x80; cp <= Character.MAX_CODE_POINT; cp++) {
            if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                continue;
            }
            byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            for (int length = 1; length < utf8.length; length++) {
                characterPrefixes.add(Fixtures.hex(Arrays.copyOf(utf8, length)));
            }
        }
    }

    @Test
    void replaceModeMatchesCPython() {
        assertEquals(3000, cases.size());
        for (Utf8Case c : cases) {
            assertEquals(c.text(), decodeInChunks(c.bytes(), new int[] {c.bytes().length}), c.hex());
        }
    }

    @Test
    void resultDoesNotDependOnHowTheBytesAreCut() {
        Random random = new Random(7);
        for (Utf8Case c : cases) {
            byte[] bytes = c.bytes();
            int[] ones = new int[bytes.length];
            Arrays.fill(ones, 1);
            assertEquals(c.text(), decodeInChunks(bytes, ones), c.hex() + " byte by byte");
            int[] randomCuts = random.ints(bytes.length, 0, 4).toArray();
            assertEquals(c.text(), decodeInChunks(bytes, randomCuts), c.hex() + " cut " + Arrays.toString(randomCuts));
        }
    }

    @Test
    void holdsBackOnlyBytesThatCanStillBecomeACharacter() {
        for (Utf8Case c : cases) {
            Utf8Decoder decoder = new Utf8Decoder(InvalidBytes.REPLACE);
            for (byte b : c.bytes()) {
                decoder.decode(new byte[] {b}, new StringBuilder());
                byte[] pending = decoder.pendingBytes();
                assertTrue(pending.length == 0 || characterPrefixes.contains(Fixtures.hex(pending)),
                        c.hex() + " holds " + Fixtures.hex(pending));
            }
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "f09f91     | \\xf0\\x9f\\x91",
        "41e282ac80 | A€\\x80",
        "eda080     | \\xed\\xa0\\x80",
        "e080       | \\xe0\\x80",
        "c3a9ff     | é\\xff",
        "f48fbfbf   | \uDBFF\uDFFF",
    })
    void escapeModeShowsEachBrokenByte(String hex, String expected) {
        Utf8Decoder decoder = new Utf8Decoder(InvalidBytes.ESCAPE);
        StringBuilder out = new StringBuilder();
        decoder.decode(Fixtures.hex(hex), out);
        decoder.finish(out);
        assertEquals(expected, out.toString());
    }

    /** Decodes {@code bytes} fed in chunks of the given sizes (the rest in one last chunk). */
    private static String decodeInChunks(byte[] bytes, int[] chunkSizes) {
        Utf8Decoder decoder = new Utf8Decoder(InvalidBytes.REPLACE);
        StringBuilder out = new StringBuilder();
        int start = 0;
        for (int size : chunkSizes) {
            int end = Math.min(bytes.length, start + size);
            decoder.decode(Arrays.copyOfRange(bytes, start, end), out);
            start = end;
        }
        decoder.decode(Arrays.copyOfRange(bytes, start, bytes.length), out);
        decoder.finish(out);
        return out.toString();
    }
}
