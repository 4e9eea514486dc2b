package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static dev.nexttoken.sampling.Fixtures.NOTEBOOK;
import static dev.nexttoken.sampling.Fixtures.POS_INF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Softmax, including the notebook's numbers.
 *
 * <p>Tolerance for the notebook numbers: every probability within a relative 1e-6 of the value
 * computed in double, including 1.48e-74 at T = 0.1. The logits are divided by T in float32 (as the
 * pipeline does) and the softmax accumulates in double; the float32 rounding of x / T moves a
 * probability by at most ~1e-7 relative here. (A float32 softmax would flush 1.48e-74 to 0.)
 */
class SoftmaxTest {

    private static final double RELATIVE = 1e-6;

    private static final double[] AT_T1 = {4.19729385e-02, 7.68761185e-04, 1.14094276e-01, 1.14982549e-04,
        3.49017038e-08, 8.43049007e-01};
    private static final double[] AT_T01 = {9.35762295e-14, 3.97544973e-31, 2.06115362e-09, 2.22736356e-39,
        1.47889750e-74, 9.99999998e-01};
    private static final double[] AT_T10 = {0.20299317, 0.13607039, 0.22434215, 0.11252466, 0.0500575, 0.27401212};

    private static void assertRelative(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs(actual[i] - expected[i]) / expected[i];
            assertTrue(error <= RELATIVE, "p[" + i + "] = " + actual[i] + ", expected " + expected[i]
                    + " (relative error " + error + ")");
        }
    }

    private static double[] atTemperature(double t) {
        float[] row = NOTEBOOK.clone();
        new TemperatureProcessor(t).processRow(LogitsContext.empty(1, row.length), 0, row);
        return Softmax.probabilities(row);
    }

    @Test
    void notebookAtTemperatureOne() {
        assertRelative(AT_T1, atTemperature(1.0));
    }

    @Test
    void notebookAtTemperatureOneTenth() {
        assertRelative(AT_T01, atTemperature(0.1));
    }

    @Test
    void notebookAtTemperatureTen() {
        assertRelative(AT_T10, atTemperature(10.0));
    }

    @Test
    void notebookThroughThePipelineOnAnNd4jArray() {
        double[][] expected = {AT_T1, AT_T01, AT_T10};
        double[] temperatures = {1.0, 0.1, 10.0};
        for (int i = 0; i < temperatures.length; i++) {
            SamplingPipeline pipeline = SamplingPipeline.of(
                    SamplingOptions.builder().temperature(temperatures[i]).topK(0).build());
            INDArray logits = Fixtures.matrix(NOTEBOOK);
            double[][] p = pipeline.probabilities(LogitsContext.empty(1, NOTEBOOK.length), logits);
            assertRelative(expected[i], p[0]);
        }
    }

    @Test
    void sumsToOne() {
        double sum = 0;
        for (double p : Softmax.probabilities(NOTEBOOK)) {
            sum += p;
        }
        assertEquals(1.0, sum, 1e-15);
    }

    @Test
    void hugeLogitsDoNotOverflow() {
        double[] p = Softmax.probabilities(new float[] {3e38f, 3e38f, -3e38f});
        assertArrayEquals(new double[] {0.5, 0.5, 0.0}, p, 0.0);
    }

    @Test
    void shiftInvariant() {
        double[] p = Softmax.probabilities(new float[] {1e6f, 1e6f + 1f, 1e6f + 2f});
        double[] q = Softmax.probabilities(new float[] {0f, 1f, 2f});
        assertArrayEquals(q, p, 1e-15);
    }

    @Test
    void tinyProbabilitiesKeepTheirPrecision() {
        double[] p = Softmax.probabilities(new float[] {0f, -700f});
        assertEquals(Math.exp(-700), p[1], Math.exp(-700) * 1e-12);
        assertEquals(1.0, p[0], 0.0);
    }

    @Test
    void minusInfinityIsProbabilityZero() {
        double[] p = Softmax.probabilities(new float[] {NEG_INF, 0f, NEG_INF, 0f});
        assertArrayEquals(new double[] {0, 0.5, 0, 0.5}, p, 0.0);
    }

    @Test
    void plusInfinityTakesAllTheMass() {
        double[] p = Softmax.probabilities(new float[] {POS_INF, 100f, POS_INF, NEG_INF});
        assertArrayEquals(new double[] {0.5, 0, 0.5, 0}, p, 0.0);
    }

    @Test
    void allMinusInfinityIsAClearErrorNamingTheOrigin() {
        SamplingException e = assertThrows(SamplingException.class,
                () -> Softmax.probabilities(new float[] {NEG_INF, NEG_INF}, "row 0 after the processor chain [X]"));
        assertTrue(e.getMessage().contains("every logit is -inf"), e.getMessage());
        assertTrue(e.getMessage().contains("[X]"), e.getMessage());
    }

    @Test
    void nanIsAClearError() {
        SamplingException e = assertThrows(SamplingException.class,
                () -> Softmax.probabilities(new float[] {0f, Float.NaN}, "my chain"));
        assertTrue(e.getMessage().contains("token 1 is NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("my chain"), e.getMessage());
    }

    @Test
    void logSumExp() {
        assertEquals(Math.log(Math.exp(1) + Math.exp(2)), Softmax.logSumExp(new float[] {1f, 2f, NEG_INF}), 1e-15);
        assertEquals(Double.NEGATIVE_INFINITY, Softmax.logSumExp(new float[] {NEG_INF}));
        assertEquals(1000 + Math.log(2), Softmax.logSumExp(new float[] {1000f, 1000f}), 1e-12);
    }

    @Test
    void everyRowOfAMatrix() {
        double[][] p = Softmax.probabilities(Fixtures.matrix(new float[] {0f, 0f}, new float[] {NEG_INF, 5f}));
        assertArrayEquals(new double[] {0.5, 0.5}, p[0], 0.0);
        assertArrayEquals(new double[] {0.0, 1.0}, p[1], 0.0);
    }
}
