package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class PenaltyProcessorsTest {

    private static final float[] ROW = {2f, -2f, 1f, 0.5f, -1f, NEG_INF};
    private static final LogitsContext SEEN = Fixtures.history(6, 0, 1, 1, 3, 5);

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOnce() {
        float[] out = Fixtures.apply(new RepetitionPenaltyProcessor(2.0), SEEN, ROW);
        // token 1 occurred twice but is penalised once (Hugging Face); -inf stays -inf
        assertArrayEquals(new float[] {1f, -4f, 1f, 0.25f, -1f, NEG_INF}, out);
    }

    @Test
    void repetitionPenaltyBelowOneFavoursRepetition() {
        float[] out = Fixtures.apply(new RepetitionPenaltyProcessor(0.5), SEEN, ROW);
        assertArrayEquals(new float[] {4f, -1f, 1f, 1f, -1f, NEG_INF}, out);
    }

    @Test
    void repetitionPenaltyWindowLooksAtTheLastTokensOnly() {
        float[] out = Fixtures.apply(new RepetitionPenaltyProcessor(2.0, 2), SEEN, ROW); // window: [3, 5]
        assertArrayEquals(new float[] {2f, -2f, 1f, 0.25f, -1f, NEG_INF}, out);
    }

    @Test
    void frequencyAndPresencePenalties() {
        float[] out = Fixtures.apply(new FrequencyPresencePenaltyProcessor(0.5, 0.25, 0), SEEN, ROW);
        // token 0: 2 - 1*0.5 - 0.25; token 1: -2 - 2*0.5 - 0.25; token 3: 0.5 - 0.75
        assertArrayEquals(new float[] {1.25f, -3.25f, 1f, -0.25f, -1f, NEG_INF}, out);
    }

    @Test
    void frequencyPenaltyWindow() {
        float[] out = Fixtures.apply(new FrequencyPresencePenaltyProcessor(0.5, 0.25, 3), SEEN, ROW); // [1, 3, 5]
        assertArrayEquals(new float[] {2f, -2.75f, 1f, -0.25f, -1f, NEG_INF}, out);
    }

    @Test
    void negativePenaltiesEncourageRepetition() {
        float[] out = Fixtures.apply(new FrequencyPresencePenaltyProcessor(-1.0, 0.0, 0), SEEN, ROW);
        assertArrayEquals(new float[] {3f, 0f, 1f, 1.5f, -1f, NEG_INF}, out);
    }

    @Test
    void rowsUseTheirOwnHistories() {
        LogitsContext context = Fixtures.histories(3, new int[] {0}, new int[] {2, 2});
        INDArray logits = Fixtures.matrix(new float[] {1f, 1f, 1f}, new float[] {1f, 1f, 1f});
        new FrequencyPresencePenaltyProcessor(0.5, 0.0, 0).process(context, logits);
        float[][] v = Fixtures.values(logits);
        assertArrayEquals(new float[] {0.5f, 1f, 1f}, v[0]);
        assertArrayEquals(new float[] {1f, 1f, 0f}, v[1]);
    }

    @Test
    void emptyHistoryChangesNothing() {
        assertArrayEquals(ROW, Fixtures.apply(new RepetitionPenaltyProcessor(3.0), ROW));
        assertArrayEquals(ROW, Fixtures.apply(new FrequencyPresencePenaltyProcessor(1, 1, 0), ROW));
    }

    @Test
    void rejectsOutOfRange() {
        assertEquals("repetition_penalty must be > 0 and finite, got 0.0",
                assertThrows(IllegalArgumentException.class, () -> new RepetitionPenaltyProcessor(0.0)).getMessage());
        assertEquals("repetition_penalty must be > 0 and finite, got Infinity",
                assertThrows(IllegalArgumentException.class,
                        () -> new RepetitionPenaltyProcessor(Double.POSITIVE_INFINITY)).getMessage());
        assertEquals("penalty_window must be >= 0 (0 = whole history), got -1",
                assertThrows(IllegalArgumentException.class, () -> new RepetitionPenaltyProcessor(1.2, -1)).getMessage());
        assertEquals("frequency_penalty must be finite, got NaN",
                assertThrows(IllegalArgumentException.class,
                        () -> new FrequencyPresencePenaltyProcessor(Double.NaN, 0, 0)).getMessage());
        assertEquals("presence_penalty must be finite, got -Infinity",
                assertThrows(IllegalArgumentException.class,
                        () -> new FrequencyPresencePenaltyProcessor(0, Double.NEGATIVE_INFINITY, 0)).getMessage());
    }

    @Test
    void namesShowTheParameters() {
        assertEquals("RepetitionPenaltyProcessor(penalty=1.3, window=64)",
                new RepetitionPenaltyProcessor(1.3, 64).name());
        assertEquals(List.of("FrequencyPresencePenaltyProcessor(frequency=0.5, presence=0.0)"),
                List.of(new FrequencyPresencePenaltyProcessor(0.5, 0, 0).name()));
    }
}
