package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static dev.nexttoken.sampling.Fixtures.POS_INF;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplersTest {

    private final GreedySampler greedy = new GreedySampler();
    private final MultinomialSampler multinomial = new MultinomialSampler();

    @Test
    void greedyTakesTheArgmaxAndTheLowestIdOnTies() {
        assertEquals(5, greedy.sample(Fixtures.NOTEBOOK, null));
        assertEquals(1, greedy.sample(new float[] {NEG_INF, 3f, 1f, 3f}, null));
        assertEquals(2, greedy.sample(new float[] {NEG_INF, NEG_INF, -1e30f}, null));
    }

    @Test
    void greedyRejectsRowsWithoutAChoice() {
        assertThrows(SamplingException.class, () -> greedy.sample(new float[] {NEG_INF, NEG_INF}, null));
        assertThrows(SamplingException.class, () -> greedy.sample(new float[] {1f, Float.NaN}, null));
    }

    /**
     * Chi-square goodness of fit at a fixed seed: 200,000 draws from p = (0.1, 0, 0.2, 0.3, 0.4); with
     * 3 degrees of freedom the statistic exceeds 16.27 with probability 0.001 for a correct sampler.
     */
    @Test
    void multinomialMatchesTheDistribution() {
        float[] logits = Fixtures.logs(0.1, 0.0, 0.2, 0.3, 0.4);
        double[] p = Softmax.probabilities(logits);
        int draws = 200_000;
        long[] counts = new long[logits.length];
        RandomStream random = RandomStream.of(20240601L, 0);
        for (int i = 0; i < draws; i++) {
            counts[multinomial.sample(logits, random)]++;
        }
        assertEquals(0, counts[1], "a -inf token was drawn");
        double chiSquare = 0;
        for (int i = 0; i < logits.length; i++) {
            if (p[i] > 0) {
                double expected = draws * p[i];
                chiSquare += (counts[i] - expected) * (counts[i] - expected) / expected;
            }
        }
        assertTrue(chiSquare < 16.27, "chi-square " + chiSquare + " for counts " + java.util.Arrays.toString(counts));
    }

    @Test
    void multinomialChoosesAmongPlusInfinityUniformly() {
        float[] logits = {0f, POS_INF, 50f, POS_INF};
        RandomStream random = RandomStream.of(5, 0);
        int[] counts = new int[4];
        for (int i = 0; i < 10_000; i++) {
            counts[multinomial.sample(logits, random)]++;
        }
        assertEquals(0, counts[0] + counts[2]);
        assertTrue(Math.abs(counts[1] - 5000) < 300, "counts " + java.util.Arrays.toString(counts));
    }

    @Test
    void multinomialWithASingleSurvivorAlwaysReturnsIt() {
        RandomStream random = RandomStream.of(1, 0);
        for (int i = 0; i < 100; i++) {
            assertEquals(2, multinomial.sample(new float[] {NEG_INF, NEG_INF, -3f, NEG_INF}, random));
        }
    }

    @Test
    void multinomialDrawsOneNumberPerCall() {
        RandomStream a = RandomStream.of(9, 4);
        RandomStream b = RandomStream.of(9, 4);
        multinomial.sample(Fixtures.NOTEBOOK, a);
        b.nextDouble();
        assertEquals(b.nextLong(), a.nextLong());
    }

    @Test
    void multinomialRejectsRowsWithoutAChoice() {
        RandomStream random = RandomStream.of(1, 0);
        assertThrows(SamplingException.class, () -> multinomial.sample(new float[] {NEG_INF}, random));
        assertThrows(SamplingException.class, () -> multinomial.sample(new float[] {Float.NaN, 1f}, random));
    }
}
