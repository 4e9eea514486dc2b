package dev.nexttoken.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class NoRepeatNGramProcessorTest {

    private static List<Integer> banned(int n, int... history) {
        float[] row = Fixtures.apply(new NoRepeatNGramProcessor(n), Fixtures.history(10, history), new float[10]);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < row.length; i++) {
            if (row[i] == Float.NEGATIVE_INFINITY) {
                ids.add(i);
            }
        }
        return ids;
    }

    @Test
    void bigramsBanEveryTokenThatFollowedTheLastToken() {
        assertEquals(List.of(6, 7), banned(2, 5, 6, 5, 7, 5));
    }

    @Test
    void trigramsLookAtTheLastTwoTokens() {
        assertEquals(List.of(3), banned(3, 1, 2, 3, 1, 2));
        assertEquals(List.of(), banned(3, 1, 2, 3, 2, 1));
    }

    @Test
    void unigramsBanEverythingSeen() {
        assertEquals(List.of(1, 4, 9), banned(1, 4, 1, 9, 4));
    }

    @Test
    void shortHistoriesChangeNothing() {
        assertEquals(List.of(), banned(3, 1));
        assertEquals(List.of(), banned(3, 1, 2));
        assertEquals(List.of(), banned(2));
    }

    @Test
    void rowsUseTheirOwnHistories() {
        LogitsContext context = Fixtures.histories(4, new int[] {1, 2, 1}, new int[] {1, 3, 1});
        INDArray logits = Fixtures.matrix(new float[4], new float[4]);
        new NoRepeatNGramProcessor(2).process(context, logits);
        float[][] v = Fixtures.values(logits);
        assertEquals(List.of(0, 1, 3), Fixtures.kept(v[0]));
        assertEquals(List.of(0, 1, 2), Fixtures.kept(v[1]));
    }

    @Test
    void rejectsSizeBelowOne() {
        assertEquals("no_repeat_ngram_size must be >= 1, got 0 (SamplingOptions.noRepeatNgramSize(0) means off)",
                assertThrows(IllegalArgumentException.class, () -> new NoRepeatNGramProcessor(0)).getMessage());
    }
}
