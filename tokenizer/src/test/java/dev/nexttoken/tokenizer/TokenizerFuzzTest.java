package dev.nexttoken.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzz tests of the tokenizer (Jazzer): the round trip of any text and the
 * streaming decoder against {@link Tokenizer#decode(int[])} for any id sequence.
 *
 * <p>In the normal suite ({@code mvn verify}) each target runs only its seed corpus, the files in
 * {@code src/test/resources/dev/nexttoken/tokenizer/TokenizerFuzzTestInputs/<method>/}, plus the
 * empty input. With {@code JAZZER_FUZZ=1} one target is fuzzed for its {@code maxDuration}
 * (see the README for the command); a finding is written to that folder and so becomes a
 * regression test.
 */
class TokenizerFuzzTest {

    private static final Tokenizer TOKENIZER = Tokenizer.gpt2();

    /**
     * {@code src/test/resources/junit-platform.properties} turns Jazzer's instrumentation off for
     * the fast regression runs; fuzzing without it would be blind, so refuse to start.
     */
    @BeforeAll
    static void fuzzingNeedsTheInstrumentation() {
        String fuzz = System.getenv("JAZZER_FUZZ");
        if (fuzz != null && !fuzz.isEmpty() && !"true".equals(System.getProperty("jazzer.hooks"))) {
            throw new IllegalStateException("JAZZER_FUZZ is set but Jazzer's instrumentation is off"
                    + " (junit-platform.properties): add -Djazzer.hooks=true to fuzz with coverage guidance");
        }
    }

    /**
     * {@code decode(encode(s)) == s} for every string, with both special-token modes. A string
     * with unpaired surrogates (not valid Unicode, so not encodable as UTF-8) comes back with
     * each of them replaced by U+FFFD, as tiktoken does.
     */
    @FuzzTest(maxDuration = "2m")
    void decodeOfEncodeGivesTheTextBack(FuzzedDataProvider data) {
        SpecialTokens mode = data.consumeBoolean() ? SpecialTokens.ALLOWED : SpecialTokens.AS_TEXT;
        // FuzzedDataProvider's strings are valid UTF-16; raw chars add unpaired surrogates
        String text = data.consumeBoolean() ? data.consumeRemainingAsString() : rawChars(data);
        int[] ids = TOKENIZER.encode(text, mode);
        for (int id : ids) {
            if (id < 0 || id >= TOKENIZER.vocabSize()) {
                throw new AssertionError("encode gave id " + id + " outside the vocabulary");
            }
            if (id == TOKENIZER.endOfTextId() && mode == SpecialTokens.AS_TEXT) {
                throw new AssertionError("<|endoftext|> produced from plain text: " + escape(text));
            }
        }
        String expected = withLoneSurrogatesReplaced(text);
        String decoded = TOKENIZER.decode(ids);
        if (!expected.equals(decoded)) {
            throw new AssertionError("round trip changed the text (" + mode + "): " + escape(text) + " -> "
                    + escape(decoded));
        }
    }

    /**
     * For any ids, the pieces returned by {@link StreamingDecoder#accept(int)} followed by
     * {@link StreamingDecoder#flush()} concatenate to {@code decode(ids)}; an id outside the
     * vocabulary is refused without changing the decoder's state.
     */
    @FuzzTest(maxDuration = "2m")
    void streamingDecoderAgreesWithDecode(FuzzedDataProvider data) {
        List<Integer> ids = new ArrayList<>();
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        StringBuilder streamed = new StringBuilder();
        while (data.remainingBytes() > 0 && ids.size() < 1000) {
            int kind = data.consumeInt(0, 3);
            if (kind == 0) {
                // a run of text's tokens, as a model tends to produce
                for (int id : TOKENIZER.encode(data.consumeString(16))) {
                    ids.add(id);
                    streamed.append(decoder.accept(id));
                }
            } else if (kind == 3) {
                // (Jazzer 0.24's consumeInt(Integer.MIN_VALUE, -1) can return 0: keep the ranges small)
                int magnitude = data.consumeInt(0, Integer.MAX_VALUE - TOKENIZER.vocabSize());
                int bad = data.consumeBoolean() ? -1 - magnitude : TOKENIZER.vocabSize() + magnitude;
                assertThrows(IllegalArgumentException.class, () -> decoder.accept(bad), "id " + bad);
            } else {
                // any id: byte tokens (0-255) and tokens ending inside a UTF-8 character included
                int id = kind == 1 ? data.consumeInt(0, 255) : data.consumeInt(0, TOKENIZER.vocabSize() - 1);
                ids.add(id);
                streamed.append(decoder.accept(id));
            }
        }
        streamed.append(decoder.flush());
        int[] all = ids.stream().mapToInt(Integer::intValue).toArray();
        assertEquals(TOKENIZER.decode(all), streamed.toString());
        assertEquals("", decoder.flush(), "flush resets the decoder");
    }

    /** The finding of the round-trip target, spelled out: an unpaired surrogate was encoded as '?'. */
    @Test
    void unpairedSurrogatesAreEncodedAsTheReplacementCharacter() {
        assertArrayEquals(TOKENIZER.encode("A\uFFFDB"), TOKENIZER.encode("A\uD800B"));
        assertArrayEquals(TOKENIZER.encode("\uFFFD x"), TOKENIZER.encode("\uDC00 x", SpecialTokens.ALLOWED));
        assertEquals("\uD83D\uDE00\uFFFD", TOKENIZER.decode(TOKENIZER.encode("\uD83D\uDE00\uD83D")));
        assertEquals("x?y", TOKENIZER.decode(TOKENIZER.encode("x?y")));
    }

    /** The rest of the input as UTF-16 code units, any of them, surrogates included. */
    private static String rawChars(FuzzedDataProvider data) {
        StringBuilder text = new StringBuilder();
        while (data.remainingBytes() >= 2) {
            text.append(data.consumeChar());
        }
        return text.toString();
    }

    /** The text with every unpaired surrogate replaced by U+FFFD. */
    static String withLoneSurrogatesReplaced(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return out.toString();
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.chars().forEach(c -> {
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                out.append((char) c);
            } else {
                out.append(String.format("\\u%04x", c));
            }
        });
        return out.append('"').toString();
    }
}
