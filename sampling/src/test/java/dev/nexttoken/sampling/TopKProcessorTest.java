package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class TopKProcessorTest {

    private static final float[] ROW = {1f, 5f, 3f, 5f, 2f};

    @Test
    void kOneKeepsTheLargestAndItsTies() {
        assertArrayEquals(new float[] {NEG_INF, 5f, NEG_INF, 5f, NEG_INF}, Fixtures.apply(new TopKProcessor(1), ROW));
    }

    @Test
    void equalValuesCountSeparately() {
        // the 2nd largest of [1, 5, 3, 5, 2] is 5 (torch.topk semantics), so k = 2 keeps the two 5s
        assertArrayEquals(new float[] {NEG_INF, 5f, NEG_INF, 5f, NEG_INF}, Fixtures.apply(new TopKProcessor(2), ROW));
        assertArrayEquals(new float[] {NEG_INF, 5f, 3f, 5f, NEG_INF}, Fixtures.apply(new TopKProcessor(3), ROW));
    }

    @Test
    void tiesWithTheKthSurvive() {
        float[] row = {4f, 2f, 2f, 2f, 1f};
        assertArrayEquals(new float[] {4f, 2f, 2f, 2f, NEG_INF}, Fixtures.apply(new TopKProcessor(2), row));
    }

    @Test
    void kAtOrAboveTheVocabularyIsANoOp() {
        assertArrayEquals(ROW, Fixtures.apply(new TopKProcessor(5), ROW));
        assertArrayEquals(ROW, Fixtures.apply(new TopKProcessor(1000), ROW));
    }

    @Test
    void fewerFiniteLogitsThanKChangesNothing() {
        float[] row = {NEG_INF, 3f, NEG_INF, 1f};
        assertArrayEquals(row, Fixtures.apply(new TopKProcessor(3), row));
        assertArrayEquals(new float[] {NEG_INF, 3f, NEG_INF, NEG_INF}, Fixtures.apply(new TopKProcessor(1), row));
    }

    @Test
    void rowsOfABatchAreFilteredSeparately() {
        INDArray logits = Fixtures.matrix(new float[] {1f, 2f, 3f, 4f}, new float[] {4f, 3f, 2f, 1f});
        new TopKProcessor(2).process(LogitsContext.empty(2, 4), logits);
        float[][] v = Fixtures.values(logits);
        assertArrayEquals(new float[] {NEG_INF, NEG_INF, 3f, 4f}, v[0]);
        assertArrayEquals(new float[] {4f, 3f, NEG_INF, NEG_INF}, v[1]);
    }

    @Test
    void heapAndQuickselectAgreeWithSorting() {
        Random random = new Random(11);
        for (int trial = 0; trial < 20; trial++) {
            float[] row = new float[5000];
            for (int i = 0; i < row.length; i++) {
                row[i] = random.nextInt(10) == 0 ? NEG_INF : random.nextInt(300) / 4f; // many ties
            }
            float[] sorted = row.clone();
            Arrays.sort(sorted);
            for (int k : new int[] {1, 2, 200, 1024, 1025, 3000, 4999, 5000}) {
                float expected = sorted[row.length - k];
                assertEquals(expected, Selection.kthLargestByHeap(row, k), "heap k=" + k);
                assertEquals(expected, Selection.kthLargestBySelect(row, k), "select k=" + k);
            }
        }
    }

    /**
     * The threshold path of a long row gives the sorted row's k-th largest on rows that make a
     * heap slow (ascending), that put the sample's values high (descending), with many ties and
     * -inf, and on a vocabulary-sized Gaussian row; it applies to long rows of distinct values.
     */
    @Test
    void candidatesThroughASampledThresholdAgreeWithSorting() {
        Random random = new Random(13);
        int n = 50_257;
        for (String shape : new String[] {"gaussian", "ascending", "descending", "ties"}) {
            float[] row = new float[n];
            for (int i = 0; i < n; i++) {
                row[i] = switch (shape) {
                    case "gaussian" -> (float) (random.nextGaussian() * 3);
                    case "ascending" -> i / 1000f;
                    case "descending" -> -i / 1000f;
                    default -> random.nextInt(20) == 0 ? NEG_INF : random.nextInt(50);
                };
            }
            float[] sorted = row.clone();
            Arrays.sort(sorted);
            for (int k : new int[] {1, 40, 200, 1000, 1024}) {
                float expected = sorted[n - k];
                assertEquals(expected, Selection.kthLargest(row, k), shape + " k=" + k);
                float byThreshold = Selection.kthLargestOfCandidates(row, k);
                if (!Float.isNaN(byThreshold)) {
                    assertEquals(expected, byThreshold, shape + " k=" + k + " through the threshold");
                }
            }
            if (!shape.equals("ties")) {
                assertFalse(Float.isNaN(Selection.kthLargestOfCandidates(row, 200)),
                        shape + ": the threshold applies to a long row of distinct values");
            }
        }
        assertTrue(Float.isNaN(Selection.kthLargestOfCandidates(new float[100], 1)), "short rows take the heap");
    }

    @Test
    void largeKUsesTheSameSemantics() {
        float[] row = new float[3000];
        for (int i = 0; i < row.length; i++) {
            row[i] = i % 1500; // every value twice
        }
        float[] out = Fixtures.apply(new TopKProcessor(2000), row);
        // values 1499 down to 500, twice each, fill 2000 slots: the 2000th largest is 500
        assertEquals(2000, Fixtures.kept(out).size());
        assertEquals(NEG_INF, out[499]);
        assertEquals(500f, out[500]);
    }

    @Test
    void rejectsKBelowOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TopKProcessor(0));
        assertEquals("top_k must be >= 1, got 0 (to turn top-k off leave the processor out;"
                + " SamplingOptions.topK(0) means off)", e.getMessage());
    }
}
