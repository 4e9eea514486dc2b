package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static dev.nexttoken.sampling.Fixtures.POS_INF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

/**
 * {@code min_tokens_to_keep} on top-k, top-p, min-p and typical-p, with values worked out by hand
 * on one distribution.
 */
class MinTokensToKeepTest {

    /*
     * ids 0..4 with p = 0.1, 0.5, 0.05, 0.2, 0.15.
     * By probability: 1 (0.5), 3 (0.2), 4 (0.15), 0 (0.1), 2 (0.05).
     * Entropy H = 0.5 ln 2 + 0.2 ln 5 + 0.15 ln(1/0.15) + 0.1 ln 10 + 0.05 ln 20 = 1.3331;
     * surprisals of 0.5, 0.2, 0.15, 0.1, 0.05: 0.693, 1.609, 1.897, 2.303, 2.996;
     * distances |s - H|: 0.640, 0.276, 0.564, 0.970, 1.663.
     * By typicality: 3 (0.276), 4 (0.564), 1 (0.640), 0 (0.970), 2 (1.663).
     */
    private static final float[] ROW = Fixtures.logs(0.1, 0.5, 0.05, 0.2, 0.15);

    private static List<Integer> kept(RowLogitsProcessor processor, float... row) {
        return Fixtures.kept(Fixtures.apply(processor, row));
    }

    @Test
    void topKKeepsTheLargerOfKAndTheMinimum() {
        assertEquals(List.of(1, 3), kept(new TopKProcessor(2), ROW));
        assertEquals(List.of(1, 3), kept(new TopKProcessor(2, 1), ROW));
        assertEquals(List.of(1, 3, 4), kept(new TopKProcessor(2, 3), ROW));
        assertEquals(List.of(0, 1, 2, 3, 4), kept(new TopKProcessor(2, 5), ROW));
        assertEquals(List.of(0, 1, 3, 4), kept(new TopKProcessor(4, 2), ROW));
    }

    @Test
    void topPKeepsTheMostProbableTokensBelowTheMinimum() {
        // the top token alone holds 0.5 >= 0.1
        assertEquals(List.of(1), kept(new TopPProcessor(0.1), ROW));
        assertEquals(List.of(1, 3, 4), kept(new TopPProcessor(0.1, 3), ROW));
        assertEquals(List.of(0, 1, 2, 3, 4), kept(new TopPProcessor(0.1, 5), ROW));
        // 0.5 + 0.2 + 0.15 = 0.85 >= 0.8 needs three tokens already: a minimum of 2 changes nothing
        assertEquals(List.of(1, 3, 4), kept(new TopPProcessor(0.8, 2), ROW));
    }

    @Test
    void minPKeepsTheMostProbableTokensBelowTheMinimum() {
        // min_p 0.35: a token needs 0.35 * 0.5 = 0.175, so 1 (0.5) and 3 (0.2) stay
        assertEquals(List.of(1, 3), kept(new MinPProcessor(0.35), ROW));
        assertEquals(List.of(1, 3), kept(new MinPProcessor(0.35, 2), ROW));
        assertEquals(List.of(1, 3, 4), kept(new MinPProcessor(0.35, 3), ROW));
        // min_p 1 keeps the top token only, unless more are asked for
        assertEquals(List.of(1), kept(new MinPProcessor(1.0), ROW));
        assertEquals(List.of(0, 1, 3, 4), kept(new MinPProcessor(1.0, 4), ROW));
    }

    @Test
    void typicalPKeepsTheMostTypicalTokensBelowTheMinimum() {
        // the most typical token, 3, holds 0.2 >= 0.1
        assertEquals(List.of(3), kept(new TypicalPProcessor(0.1), ROW));
        assertEquals(List.of(3, 4), kept(new TypicalPProcessor(0.1, 2), ROW));
        // the third most typical is the most probable token
        assertEquals(List.of(1, 3, 4), kept(new TypicalPProcessor(0.1, 3), ROW));
        assertEquals(List.of(0, 1, 2, 3, 4), kept(new TypicalPProcessor(0.1, 5), ROW));
        // 0.2 + 0.15 + 0.5 = 0.85 >= 0.8 needs three tokens already
        assertEquals(List.of(1, 3, 4), kept(new TypicalPProcessor(0.8, 2), ROW));
    }

    @Test
    void removedTokensAreNotBroughtBackAndKeptLogitsAreUnchanged() {
        float[] row = {ROW[0], NEG_INF, ROW[1], ROW[2], NEG_INF, ROW[3], ROW[4]};
        List<Integer> finite = List.of(0, 2, 3, 5, 6);
        assertEquals(finite, kept(new TopKProcessor(1, 10), row));
        assertEquals(finite, kept(new TopPProcessor(0.1, 10), row));
        assertEquals(finite, kept(new MinPProcessor(1.0, 10), row));
        assertEquals(finite, kept(new TypicalPProcessor(0.1, 10), row));

        float[] out = Fixtures.apply(new TopPProcessor(0.1, 3), ROW);
        assertArrayEquals(new float[] {NEG_INF, ROW[1], NEG_INF, ROW[3], ROW[4]}, out);
    }

    @Test
    void withInfiniteLogitsTheLargestFiniteOnesFillTheMinimum() {
        float[] row = {POS_INF, 1f, 2f, 0f};
        assertEquals(List.of(0), kept(new TopPProcessor(0.5), row));
        assertEquals(List.of(0, 2), kept(new TopPProcessor(0.5, 2), row));
        assertEquals(List.of(0, 1, 2), kept(new MinPProcessor(0.5, 3), row));
        assertEquals(List.of(0, 2), kept(new TypicalPProcessor(0.5, 2), row));
    }

    @Test
    void aLargeVocabularyKeepsExactlyTheMinimumBeyondTheSortedPrefix() {
        // 5000 distinct logits and one dominant token: beyond top-p's sort-all limit and the first
        // 256-token prefix of top-p and typical-p
        Random random = new Random(11);
        float[] row = new float[5000];
        for (int i = 0; i < row.length; i++) {
            row[i] = (float) random.nextGaussian();
        }
        row[1234] = 30f;
        assertEquals(1, kept(new TopPProcessor(0.5), row).size());
        assertEquals(300, kept(new TopPProcessor(0.5, 300), row).size());
        assertEquals(1, kept(new MinPProcessor(0.5), row).size());
        assertEquals(300, kept(new MinPProcessor(0.5, 300), row).size());
        assertEquals(300, kept(new TypicalPProcessor(1e-9, 300), row).size());
        assertEquals(300, kept(new TopKProcessor(5, 300), row).size());
        // the ones kept by top-p are the 300 largest
        List<Integer> topP = kept(new TopPProcessor(0.5, 300), row);
        assertEquals(topP, kept(new TopKProcessor(300), row));
    }

    @Test
    void theMinimumMustBeAtLeastOne() {
        List<Function<Integer, Object>> makers = List.of(
                n -> new TopKProcessor(5, n), n -> new TopPProcessor(0.9, n), n -> new MinPProcessor(0.1, n),
                n -> new TypicalPProcessor(0.9, n), n -> SamplingOptions.builder().minTokensToKeep(n));
        for (Function<Integer, Object> maker : makers) {
            for (int bad : new int[] {0, -1, Integer.MIN_VALUE}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> maker.apply(bad));
                assertEquals("min_tokens_to_keep must be >= 1 (1 = only the processor's own cut-off), got " + bad,
                        e.getMessage());
            }
        }
    }

    @Test
    void namesShowTheMinimumOnlyWhenSet() {
        assertEquals("TopKProcessor(k=2)", new TopKProcessor(2, 1).name());
        assertEquals("TopKProcessor(k=2, min_tokens_to_keep=5)", new TopKProcessor(2, 5).name());
        assertEquals("TopPProcessor(p=0.9, min_tokens_to_keep=3)", new TopPProcessor(0.9, 3).name());
        assertEquals("MinPProcessor(min_p=0.1, min_tokens_to_keep=3)", new MinPProcessor(0.1, 3).name());
        assertEquals("TypicalPProcessor(p=0.9, min_tokens_to_keep=3)", new TypicalPProcessor(0.9, 3).name());
        assertEquals(5, new TopKProcessor(2, 5).minTokensToKeep());
    }

    @Test
    void theOptionReachesAllFourProcessorsOfThePipeline() {
        SamplingOptions options = SamplingOptions.builder().temperature(1.0).topK(2).topP(0.1).minP(0.35)
                .typicalP(0.1).minTokensToKeep(3).build();

        assertEquals(3, options.minTokensToKeep());
        assertEquals(1, SamplingOptions.nanoGpt().minTokensToKeep());
        assertEquals(options, options.toBuilder().build());
        assertEquals("SamplingOptions[temperature=1.0, top_k=2, top_p=0.1, min_p=0.35, typical_p=0.1,"
                + " min_tokens_to_keep=3]", options.toString());
        assertEquals("[TopKProcessor(k=2, min_tokens_to_keep=3), TopPProcessor(p=0.1, min_tokens_to_keep=3),"
                + " MinPProcessor(min_p=0.35, min_tokens_to_keep=3), TypicalPProcessor(p=0.1, min_tokens_to_keep=3)]"
                + " -> MultinomialSampler", SamplingPipeline.of(options).describe());
        // top-k keeps 1, 3, 4; each later stage has no more than its minimum left and keeps them
        float[][] rows = {ROW.clone()};
        SamplingPipeline.of(options).processors().forEach(p -> ((RowLogitsProcessor) p).processRow(
                LogitsContext.empty(1, ROW.length), 0, rows[0]));
        assertEquals(List.of(1, 3, 4), Fixtures.kept(rows[0]));
    }
}
