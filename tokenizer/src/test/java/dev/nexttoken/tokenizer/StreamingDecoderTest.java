package dev.nexttoken.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nexttoken.tokenizer.Fixtures.Step;
import dev.nexttoken.tokenizer.Fixtures.StreamingTrace;
import dev.nexttoken.tokenizer.Fixtures.TokenString;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The streaming decoder against the reference traces, and its handling of broken byte runs. */
class StreamingDecoderTest {

    private static final Tokenizer TOKENIZER = Tokenizer.gpt2();
    private static final String REPLACEMENT = "\uFFFD";

    static Stream<StreamingTrace> traces() {
        return Fixtures.tokens().streamingDecode().stream();
    }

    static Stream<TokenString> strings() {
        return Fixtures.tokens().strings().stream();
    }

    @Test
    void fixtureHoldsTheTraces() {
        assertEquals(5, traces().count());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("traces")
    void replaysTheReferenceTraceStepByStep(StreamingTrace trace) {
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        StringBuilder text = new StringBuilder();
        List<Step> steps = trace.steps();
        assertArrayEquals(trace.ids(), steps.stream().mapToInt(Step::id).toArray());
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            String where = "step " + i + ", id " + step.id();
            assertEquals(step.bytesHex(), Fixtures.hex(TOKENIZER.tokenBytes(step.id())), where);
            String emitted = decoder.accept(step.id());
            assertEquals(step.emitted(), emitted, where);
            assertEquals(step.pendingHex(), Fixtures.hex(decoder.pendingBytes()), where);
            text.append(emitted);
        }
        assertEquals("", decoder.flush());
        assertEquals(trace.text(), text.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strings")
    void streamingEveryReferenceStringGivesItsText(TokenString string) {
        assertEquals(string.text(), streamAll(TOKENIZER.newStreamingDecoder(), string.ids()));
    }

    @Test
    void flushOfAFreshDecoderIsEmpty() {
        assertEquals("", TOKENIZER.newStreamingDecoder().flush());
    }

    @Test
    void flushGivesAnUnfinishedCharacterAsOneReplacement() {
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        assertEquals("", decoder.accept(41840)); // F0 9F 91: 3 of the 4 bytes of 👨
        assertEquals(REPLACEMENT, decoder.flush());
        assertEquals(0, decoder.pendingBytes().length);
        assertEquals("", decoder.flush());
    }

    @Test
    void flushStartsANewStream() {
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        decoder.accept(41840);
        decoder.flush();
        assertEquals(REPLACEMENT, decoder.accept(101)); // A8 alone no longer completes 👨
        assertEquals("Hello", decoder.accept(15496));
    }

    @Test
    void anInvalidIdLeavesTheStateUnchanged() {
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        assertEquals("", decoder.accept(41840));
        assertThrows(IllegalArgumentException.class, () -> decoder.accept(60000));
        assertEquals("👨", decoder.accept(101));
    }

    @Test
    void endOfTextStreamsAsItsMarker() {
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        assertEquals("", decoder.accept(41840));
        // The marker is ASCII, so it proves the pending bytes broken and follows their U+FFFD.
        assertEquals(REPLACEMENT + "<|endoftext|>", decoder.accept(TOKENIZER.endOfTextId()));
    }

    @Test
    void bytesThatCanNeverBeValidAreEmittedAtOnce() {
        assertEquals(List.of(REPLACEMENT), acceptEach(idOf(0x80)));            // lone continuation byte
        assertEquals(List.of(REPLACEMENT), acceptEach(idOf(0xFF)));            // never in UTF-8
        assertEquals(List.of("", REPLACEMENT + "A"), acceptEach(8582, idOf('A'))); // F0 9F, then no continuation
        assertEquals(List.of("", REPLACEMENT + REPLACEMENT), acceptEach(idOf(0xE0), idOf(0x80))); // overlong
        assertEquals(List.of("", REPLACEMENT + REPLACEMENT), acceptEach(idOf(0xED), idOf(0xA0))); // surrogate
    }

    @Test
    void randomIdSequencesStreamToTheirDecodedText() {
        int[] brokenTokens = IntStream.range(0, TOKENIZER.vocabSize())
                .filter(id -> TOKENIZER.piece(id).contains("\\x"))
                .toArray();
        assertEquals(344, brokenTokens.length, "GPT-2 tokens that are not whole characters");
        Random random = new Random(42);
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        for (int sequence = 0; sequence < 3000; sequence++) {
            int[] ids = new int[1 + random.nextInt(20)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(3) == 0
                        ? random.nextInt(TOKENIZER.vocabSize())
                        : brokenTokens[random.nextInt(brokenTokens.length)];
            }
            assertEquals(TOKENIZER.decode(ids), streamAll(decoder, ids), Arrays.toString(ids));
        }
    }

    /** Feeds every id, checking no piece ends inside a surrogate pair, then flushes. */
    private static String streamAll(StreamingDecoder decoder, int[] ids) {
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            String emitted = decoder.accept(id);
            assertFalse(!emitted.isEmpty() && Character.isHighSurrogate(emitted.charAt(emitted.length() - 1)));
            assertTrue(decoder.pendingBytes().length <= 3);
            text.append(emitted);
        }
        return text.append(decoder.flush()).toString();
    }

    private static List<String> acceptEach(int... ids) {
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        return Arrays.stream(ids).mapToObj(decoder::accept).toList();
    }

    /** The id of the token made of exactly this one byte (GPT-2 has one for each of the 256). */
    private static int idOf(int singleByte) {
        for (int id = 0; id < 256; id++) {
            byte[] bytes = TOKENIZER.tokenBytes(id);
            if (bytes.length == 1 && (bytes[0] & 0xFF) == singleByte) {
                return id;
            }
        }
        throw new AssertionError("no token for byte " + singleByte);
    }
}
