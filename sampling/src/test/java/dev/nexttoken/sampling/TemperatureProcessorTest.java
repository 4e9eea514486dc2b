package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class TemperatureProcessorTest {

    @Test
    void dividesByTheTemperature() {
        float[] row = Fixtures.apply(new TemperatureProcessor(0.5), 6f, -2f, 0f, NEG_INF);
        assertArrayEquals(new float[] {12f, -4f, 0f, NEG_INF}, row);
    }

    @Test
    void nd4jOpAndJavaLoopGiveIdenticalResults() {
        Random random = new Random(7);
        float[][] rows = new float[3][1000];
        for (float[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) (random.nextGaussian() * 5);
            }
        }
        TemperatureProcessor t = new TemperatureProcessor(0.8);
        INDArray logits = Fixtures.matrix(rows);
        t.process(LogitsContext.empty(3, 1000), logits); // logits.divi(0.8f)
        float[][] viaNd4j = Fixtures.values(logits);
        for (int r = 0; r < rows.length; r++) {
            t.processRow(LogitsContext.empty(3, 1000), r, rows[r]);
            assertArrayEquals(rows[r], viaNd4j[r], "row " + r);
        }
    }

    @Test
    void rejectsOutOfRange() {
        for (double bad : new double[] {0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TemperatureProcessor(bad));
            assertTrue(e.getMessage().startsWith("temperature must be > 0 and finite, got " + bad), e.getMessage());
        }
    }

    /** Issue 15, item 4: below 1e-6 a division overflows or loses all resolution, so it is greedy's job. */
    @Test
    void temperaturesBelowTheGreedyThresholdAreRefusedHereAndGreedyInTheOptions() {
        for (double tiny : new double[] {9.9e-7, 1e-38, 1e-39, 1e-45, Double.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TemperatureProcessor(tiny));
            assertTrue(e.getMessage().startsWith("temperature " + tiny + " is below 1.0E-6"), e.getMessage());
            SamplingOptions options = SamplingOptions.builder().temperature(tiny).build();
            assertTrue(options.isGreedy(), "temperature " + tiny);
            assertEquals(List.of(), SamplingPipeline.of(options).processors().stream()
                    .filter(p -> p instanceof TemperatureProcessor || p instanceof TopKProcessor).toList());
            assertInstanceOf(GreedySampler.class, SamplingPipeline.of(options).sampler());
        }
        assertEquals(1e-6, new TemperatureProcessor(1e-6).temperature());
        assertFalse(SamplingOptions.builder().temperature(1e-6).build().isGreedy());
    }

    @Test
    void nameShowsTheParameter() {
        assertEquals("TemperatureProcessor(temperature=0.8)", new TemperatureProcessor(0.8).name());
    }
}
