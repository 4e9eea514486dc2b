package dev.nexttoken.core.model;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link VectorSoftmax} against {@link Math#exp} in double: its {@code exp} over the whole range
 * a shifted softmax can see and beyond, and the softmax of rows of every length around the vector
 * width (vector loop and scalar tail), with scores spread from a few units to hundreds. Skipped
 * when the JVM runs without {@code --add-modules jdk.incubator.vector}.
 */
class VectorSoftmaxTest {

    @BeforeEach
    void needsVectorApi() {
        assumeTrue(VectorMatmulSupport.isAvailable(), "the JVM runs without " + VectorMatmulSupport.MODULE);
    }

    @Test
    void expIsWithinTwoTenthsOfAMillionthOfMathExp() {
        Random random = new Random(1);
        double worst = 0;
        for (int i = 0; i < 2_000_000; i++) {
            float x = i < 1_000_000 ? -87.3f + 175.3f * random.nextFloat() : -20f * random.nextFloat();
            double want = Math.exp(x);
            double error = Math.abs(VectorSoftmax.exp(x) - want) / want;
            worst = Math.max(worst, error);
        }
        assertTrue(worst < 2e-7, "worst relative error " + worst);
        assertEquals(1f, VectorSoftmax.exp(0f));
        assertEquals(0f, VectorSoftmax.exp(-88f));
        assertEquals(0f, VectorSoftmax.exp(Float.NEGATIVE_INFINITY));
        assertEquals((float) Math.exp(88), VectorSoftmax.exp(1000f), 1e-7 * Math.exp(88));
        assertTrue(Float.isNaN(VectorSoftmax.exp(Float.NaN)));
    }

    @Test
    void softmaxMatchesTheDoubleReferenceAtEveryLength() {
        Random random = new Random(2);
        for (int seen = 1; seen <= 4 * VectorGemm.lanes() + 3; seen++) {
            for (float spread : new float[] {0.1f, 3f, 30f, 300f}) {
                check(random, seen, spread);
            }
        }
        check(random, 1023, 5f);
    }

    @Test
    void equalScoresGetEqualWeightsInTheVectorLoopAndTheTail() {
        int seen = 3 * VectorGemm.lanes() + 5;
        float[] w = new float[seen + 2];
        java.util.Arrays.fill(w, 4.25f);
        VectorSoftmax.softmax(w, 1, seen);
        for (int j = 1; j <= seen; j++) {
            assertEquals(w[1], w[j], "weight " + j);
        }
        assertEquals(4.25f, w[0], "wrote before the row");
        assertEquals(4.25f, w[seen + 1], "wrote past the row");
    }

    @Test
    void aNaNScoreMakesTheRowNaNAsMathExpDoes() {
        float[] w = {1f, Float.NaN, 2f};
        VectorSoftmax.softmax(w, 0, 3);
        assertTrue(Float.isNaN(w[0]) || Float.isNaN(w[2]), "a NaN score must not give a clean-looking row");
    }

    private static void check(Random random, int seen, float spread) {
        int from = random.nextInt(3);
        float[] w = new float[from + seen + 1];
        for (int j = 0; j < w.length; j++) {
            w[j] = (float) (random.nextGaussian() * spread);
        }
        float[] before = w.clone();
        float max = Float.NEGATIVE_INFINITY;
        for (int j = from; j < from + seen; j++) {
            max = Math.max(max, before[j]);
        }
        // The scores shifted in float, as the softmax shifts them (that rounding is the input's).
        double sum = 0;
        for (int j = from; j < from + seen; j++) {
            sum += Math.exp(before[j] - max);
        }
        VectorSoftmax.softmax(w, from, seen);
        float total = 0;
        for (int j = from; j < from + seen; j++) {
            double want = Math.exp(before[j] - max) / sum;              // before[j] - max: a float
            String what = "seen=" + seen + " spread=" + spread + " j=" + j;
            assertEquals(want, w[j], 1e-6 * want + 1e-30, what);
            total += w[j];
        }
        assertEquals(1f, total, 1e-5f, "sum, seen=" + seen);
        for (int j = 0; j < from; j++) {
            assertEquals(before[j], w[j], "wrote before the row");
        }
        assertEquals(before[from + seen], w[from + seen], "wrote past the row");
    }
}
