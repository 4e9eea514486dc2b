package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static dev.nexttoken.sampling.Fixtures.POS_INF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** LogitBiasProcessor, BannedTokensProcessor, MinNewTokensProcessor. */
class BiasAndBansTest {

    @Test
    void logitBiasAddsAndInfiniteBiasSets() {
        LogitBiasProcessor bias = new LogitBiasProcessor(Map.of(1, 2.5, 3, Double.NEGATIVE_INFINITY, 4,
                Double.POSITIVE_INFINITY, 0, -0.5));
        float[] out = Fixtures.apply(bias, 1f, 1f, 1f, 1f, NEG_INF);
        assertArrayEquals(new float[] {0.5f, 3.5f, 1f, NEG_INF, POS_INF}, out);
    }

    @Test
    void logitBiasOutsideTheVocabularyIsAnErrorNamingTheProcessor() {
        LogitBiasProcessor bias = new LogitBiasProcessor(Map.of(7, 1.0));
        SamplingException e = assertThrows(SamplingException.class, () -> Fixtures.apply(bias, 0f, 0f));
        assertEquals("LogitBiasProcessor({7=1.0}): token id 7 is outside the vocabulary (valid ids are 0..1)",
                e.getMessage());
    }

    @Test
    void logitBiasRejectsBadArguments() {
        assertEquals("logit_bias token ids must be >= 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> new LogitBiasProcessor(Map.of(-1, 1.0))).getMessage());
        assertEquals("logit_bias of token 2 must not be NaN", assertThrows(IllegalArgumentException.class,
                () -> new LogitBiasProcessor(Map.of(2, Double.NaN))).getMessage());
    }

    @Test
    void bannedTokensAndSequences() {
        BannedTokensProcessor bans = new BannedTokensProcessor(List.of(2), List.of(new int[] {4, 5, 6}, new int[] {7}));
        float[] endsWith45 = Fixtures.apply(bans, Fixtures.history(8, 1, 4, 5), new float[8]);
        assertEquals(List.of(0, 1, 3, 4, 5), Fixtures.kept(endsWith45));
        float[] endsWith54 = Fixtures.apply(bans, Fixtures.history(8, 1, 5, 4), new float[8]);
        assertEquals(List.of(0, 1, 3, 4, 5, 6), Fixtures.kept(endsWith54));
        float[] tooShort = Fixtures.apply(bans, Fixtures.history(8, 5), new float[8]);
        assertEquals(List.of(0, 1, 3, 4, 5, 6), Fixtures.kept(tooShort));
    }

    @Test
    void bannedSequenceMatchingTheWholeHistory() {
        BannedTokensProcessor bans = new BannedTokensProcessor(List.of(), List.of(new int[] {1, 2, 3}));
        assertEquals(List.of(0, 1, 2), Fixtures.kept(Fixtures.apply(bans, Fixtures.history(4, 1, 2), new float[4])));
    }

    @Test
    void bannedRowsDiffer() {
        BannedTokensProcessor bans = new BannedTokensProcessor(List.of(), List.of(new int[] {0, 1}));
        INDArray logits = Fixtures.matrix(new float[2], new float[2]);
        bans.process(Fixtures.histories(2, new int[] {0}, new int[] {1}), logits);
        float[][] v = Fixtures.values(logits);
        assertArrayEquals(new float[] {0f, NEG_INF}, v[0]);
        assertArrayEquals(new float[] {0f, 0f}, v[1]);
    }

    @Test
    void bansRejectBadArguments() {
        assertEquals("banned token ids must be >= 0, got -3", assertThrows(IllegalArgumentException.class,
                () -> BannedTokensProcessor.of(1, -3)).getMessage());
        assertEquals("a banned sequence must hold at least one token id", assertThrows(IllegalArgumentException.class,
                () -> new BannedTokensProcessor(List.of(), List.of(new int[0]))).getMessage());
        SamplingException e = assertThrows(SamplingException.class,
                () -> Fixtures.apply(BannedTokensProcessor.of(9), 0f, 0f));
        assertTrue(e.getMessage().contains("banned token id 9 is outside the vocabulary"), e.getMessage());
    }

    @Test
    void minNewTokensCountsPerRow() {
        // row 0: prompt 3 of 4 tokens (1 new); row 1: prompt 1 of 4 tokens (3 new)
        LogitsContext context = LogitsContext.of(5, 1, List.of(new int[] {1, 2, 3, 0}, new int[] {1, 2, 3, 0}),
                new int[] {3, 1});
        INDArray logits = Fixtures.matrix(new float[] {1f, 1f, 1f, 1f, 1f}, new float[] {1f, 1f, 1f, 1f, 1f});
        new MinNewTokensProcessor(2, 4).process(context, logits);
        float[][] v = Fixtures.values(logits);
        assertArrayEquals(new float[] {1f, 1f, 1f, 1f, NEG_INF}, v[0]);
        assertArrayEquals(new float[] {1f, 1f, 1f, 1f, 1f}, v[1]);
    }

    @Test
    void minNewTokensRejectsBadArguments() {
        assertEquals("min_new_tokens must be >= 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> new MinNewTokensProcessor(-1, 0)).getMessage());
        assertEquals("end_of_text_id must be >= 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> new MinNewTokensProcessor(1, -1)).getMessage());
    }
}
