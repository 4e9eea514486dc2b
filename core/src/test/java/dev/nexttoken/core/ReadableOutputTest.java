package dev.nexttoken.core;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a newcomer sees first when printing results: the next-token table, trace candidates with
 * their tokens escaped, a result's samples, and enums as the README writes them.
 */
class ReadableOutputTest {

    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

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
}
