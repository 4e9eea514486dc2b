package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class TopPProcessorTest {

    // probabilities 0.125, 0.5, 0.125, 0.25 (cumulative in order 1, 3, {0, 2}: 0.5, 0.75, 0.875, 1.0)
    private static final float[] ROW = Fixtures.logs(0.125, 0.5, 0.125, 0.25);

    private static List<Integer> keptAt(double p, float... row) {
        return Fixtures.kept(Fixtures.apply(new TopPProcessor(p), row));
    }

    @Test
    void keepsTheSmallestSetReachingP() {
        assertEquals(List.of(1), keptAt(0.3, ROW));
        assertEquals(List.of(1, 3), keptAt(0.6, ROW));
        assertEquals(List.of(1, 3), keptAt(0.74, ROW));
    }

    @Test
    void keptLogitsAreUnchanged() {
        float[] out = Fixtures.apply(new TopPProcessor(0.6), ROW);
        assertArrayEquals(new float[] {NEG_INF, ROW[1], NEG_INF, ROW[3]}, out);
    }

    @Test
    void tiesWithTheCutOffSurvive() {
        // 0.8 is reached by the first 0.125 token; the other 0.125 token has the same logit and stays
        assertEquals(List.of(0, 1, 2, 3), keptAt(0.8, ROW));
    }

    @Test
    void pOneIsANoOp() {
        assertArrayEquals(ROW, Fixtures.apply(new TopPProcessor(1.0), ROW));
    }

    @Test
    void tinyPKeepsOnlyTheTopToken() {
        assertEquals(List.of(1), keptAt(1e-12, ROW));
        assertEquals(List.of(1), keptAt(Double.MIN_VALUE, ROW));
    }

    @Test
    void minusInfinityAlreadyPresentStaysAndDoesNotCount() {
        float[] row = {NEG_INF, ROW[0], ROW[1], NEG_INF, ROW[2], ROW[3]};
        assertEquals(List.of(2, 5), keptAt(0.6, row));
        assertEquals(List.of(1, 2, 4, 5), keptAt(1.0, row));
    }

    @Test
    void plusInfinityKeepsOnlyTheInfiniteTokens() {
        assertEquals(List.of(0, 2), keptAt(0.5, Float.POSITIVE_INFINITY, 3f, Float.POSITIVE_INFINITY));
    }

    @Test
    void rowsOfABatchAreFilteredSeparately() {
        INDArray logits = Fixtures.matrix(ROW, Fixtures.logs(0.7, 0.1, 0.1, 0.1));
        new TopPProcessor(0.6).process(LogitsContext.empty(2, 4), logits);
        float[][] v = Fixtures.values(logits);
        assertEquals(List.of(1, 3), Fixtures.kept(v[0]));
        assertEquals(List.of(0), Fixtures.kept(v[1]));
    }

    @Test
    void largeVocabulariesMatchAFullSort() {
        // flat (std 0.5: thousands of tokens for p = 0.9, the prefix grows) and peaked (std 3) rows,
        // above and below the size where every finite logit is sorted
        assertMatchesFullSort(50257, 0.5, 0.9);
        assertMatchesFullSort(50257, 3.0, 0.9);
        assertMatchesFullSort(5000, 3.0, 0.5);
        assertMatchesFullSort(1500, 1.0, 0.95);
    }

    private static void assertMatchesFullSort(int vocab, double spread, double topP) {
        Random random = new Random(vocab + (long) (spread * 10));
        float[] row = new float[vocab];
        for (int i = 0; i < row.length; i++) {
            row[i] = (float) (random.nextGaussian() * spread);
        }
        float[] out = Fixtures.apply(new TopPProcessor(topP), row);
        double[] p = Softmax.probabilities(row);
        Integer[] order = new Integer[row.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(row[b], row[a]));
        double cumulative = 0;
        int needed = 0;
        while (cumulative < topP) {
            cumulative += p[order[needed++]];
        }
        String what = "vocab " + vocab + ", spread " + spread;
        assertEquals(needed, Fixtures.kept(out).size(), what);
        assertEquals(row[order[needed - 1]], out[order[needed - 1]], what);
        assertEquals(NEG_INF, out[order[needed]], what);
    }

    @Test
    void rejectsOutOfRange() {
        for (double bad : new double[] {0.0, -0.1, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TopPProcessor(bad));
            assertEquals("top_p must be in (0, 1], got " + bad, e.getMessage());
        }
    }
}
