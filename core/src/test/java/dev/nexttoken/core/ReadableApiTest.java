package dev.nexttoken.core;

import dev.nexttoken.core.model.Fixtures;
import dev.nexttoken.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a newcomer sees first: results that print readably, enums as the README writes them, the
 * two-argument {@code generate} for token ids, banning tokens by their text and
 * {@code minTokensToKeep}.
 */
class ReadableApiTest {

    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    private static Generator gen;

    @BeforeAll
    static void load() {
        gen = Generator.load(Fixtures.modelDir("tiny"));
    }

    @AfterAll
    static void close() {
        gen.close();
    }

    @Test
    void aNextTokenTablePrintsAsTheCliTable() {
        NextTokenTable table = new NextTokenTable(new int[] {464}, List.of(
                new TraceCandidate(198, "\n", 1.5, 1.25, 0.5),
                new TraceCandidate(1, "\"", -0.5, NEG_INF, 0.0),
                new TraceCandidate(995, " world", 0.123456, 0.1, 0.25)), 995);

        assertEquals("rank     id  token         logit  processed      prob\n"
                + "   1    198  \"\\n\"         1.5000     1.2500  0.500000\n"
                + "   2      1  \"\\\"\"        -0.5000       -inf  0.000000\n"
                + "   3    995  \" world\"     0.1235     0.1000  0.250000  <\n", table.toString());
        assertEquals(table.toString(), CandidateTable.format(table.candidates(), 995, ""));
        assertTrue(CandidateTable.format(table.candidates(), -1, "  ").startsWith("  rank     id"));
        assertFalse(CandidateTable.format(table.candidates(), -1, "").contains("<"));
    }

    @Test
    void aTraceCandidatePrintsOnOneLineWithItsTokenEscaped() {
        assertEquals("TraceCandidate[id=198, token=\"\\n\", rawLogit=1.5, processedLogit=-Infinity, probability=0.0]",
                new TraceCandidate(198, "\n", 1.5, NEG_INF, 0.0).toString());
        assertEquals("TraceCandidate[id=197, token=\"\\t\", rawLogit=0.0, processedLogit=0.0, probability=1.0]",
                new TraceCandidate(197, "\t", 0, 0, 1).toString());
        assertEquals("TraceCandidate[id=0, token=\"\\u001b\", rawLogit=0.0, processedLogit=0.0, probability=1.0]",
                new TraceCandidate(0, "\u001b", 0, 0, 1).toString());
        // the token itself stays the piece, for programs and JSON
        assertEquals("\n", new TraceCandidate(198, "\n", 1.5, NEG_INF, 0.0).token());
    }

    @Test
    void aResultPrintsEachSampleTextUnderItsFinishReason() {
        GenerationResult result = new GenerationResult(new int[] {1, 2}, List.of(
                new Sample(" a\nb", new int[] {3, 4}, FinishReason.EOS),
                new Sample("x", new int[] {5}, FinishReason.LENGTH),
                new Sample("", new int[0], FinishReason.STOP)), new Timings(0, 0, 0, 0), List.of());

        assertEquals("sample 0 (eos, 2 new tokens):\n a\nb\n"
                + "sample 1 (length, 1 new token):\nx\n"
                + "sample 2 (stop, 0 new tokens):\n\n", result.toString());
    }

    @Test
    void finishReasonsPrintInLowerCaseAsTheReadmeAndTheJson() {
        assertEquals("length", FinishReason.LENGTH.toString());
        assertEquals("stop", FinishReason.STOP.toString());
        assertEquals("eos", FinishReason.EOS.toString());
        assertEquals("cancelled", FinishReason.CANCELLED.toString());
        for (FinishReason reason : FinishReason.values()) {
            assertEquals(reason.toString(), reason.jsonName());
            assertEquals(reason, FinishReason.valueOf(reason.name()));
        }
        assertTrue(new Sample("x", new int[] {1}, FinishReason.EOS).toString().endsWith("finishReason=eos]"));
    }

    @Test
    void generateFromIdsWithoutAListenerEqualsTheCallWithOne() {
        GenerationOptions options = GenerationOptions.builder().maxNewTokens(8).seed(9).numSamples(2).build();
        int[] prompt = gen.tokenizer().encode("The cat");

        GenerationResult plain = gen.generate(prompt, options);
        GenerationResult withListener = gen.generate(prompt, options, (sample, id, text) -> { });

        assertEquals(withListener.samples(), plain.samples());
        assertArrayEquals(prompt, plain.promptTokens());
        assertEquals(8, plain.samples().get(0).tokens().length);
    }

    @Test
    void tokensSelectedByTheirTextCanBeBanned() {
        Tokenizer tokenizer = gen.tokenizer();
        int[] digits = tokenizer.tokensWhere(text -> text.chars().anyMatch(Character::isDigit));
        GenerationOptions free = GenerationOptions.builder().temperature(1.5).topK(0).maxNewTokens(25)
                .numSamples(4).seed(3).build();
        GenerationOptions banned = free.toBuilder().banTokens(digits).build();

        // without the ban this run does produce digits, so the ban below is what removes them
        assertTrue(free.sampling().bannedTokens().isEmpty());
        assertTrue(gen.generate("In 1999", free).samples().stream()
                .anyMatch(s -> IntStream.of(s.tokens()).anyMatch(id -> Arrays.binarySearch(digits, id) >= 0)));
        for (Sample sample : gen.generate("In 1999", banned).samples()) {
            assertEquals(25, sample.tokens().length);
            for (int id : sample.tokens()) {
                assertTrue(Arrays.binarySearch(digits, id) < 0, id + " " + tokenizer.piece(id));
            }
            assertTrue(sample.text().chars().noneMatch(c -> c >= '0' && c <= '9'), sample.text());
        }
    }

    @Test
    void minTokensToKeepLeavesThatManyCandidates() {
        GenerationOptions.Builder builder = GenerationOptions.builder().temperature(1.0).topK(1);

        assertEquals(1, finiteCandidates(gen.next("Hello", builder.build(), 10)));
        assertEquals(4, finiteCandidates(gen.next("Hello", builder.minTokensToKeep(4).build(), 10)));
        assertEquals(4, builder.build().sampling().minTokensToKeep());
        assertEquals(4, finiteCandidates(gen.next("Hello",
                GenerationOptions.builder().temperature(1.0).topK(0).minP(1.0).minTokensToKeep(4).build(), 10)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationOptions.builder().minTokensToKeep(0));
        assertTrue(e.getMessage().startsWith("min_tokens_to_keep must be >= 1"), e.getMessage());
    }

    private static long finiteCandidates(NextTokenTable table) {
        return table.candidates().stream().filter(c -> c.probability() > 0).count();
    }
}
