package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class MinPProcessorTest {

    private static final float[] ROW = {-3f, 0f, -1f, -2f, NEG_INF};

    @Test
    void removesTokensBelowMinPTimesTheTopProbability() {
        // p_i / p_max = e^(x_i - 0): e^-1 = 0.368, e^-2 = 0.135, e^-3 = 0.050; min_p = e^-1.5 = 0.223
        float[] out = Fixtures.apply(new MinPProcessor(Math.exp(-1.5)), ROW);
        assertArrayEquals(new float[] {NEG_INF, 0f, -1f, NEG_INF, NEG_INF}, out);
        assertEquals(List.of(1, 2, 3), Fixtures.kept(Fixtures.apply(new MinPProcessor(0.1), ROW)));
    }

    @Test
    void zeroIsANoOpAndOneKeepsOnlyTheMaximumWithItsTies() {
        assertArrayEquals(ROW, Fixtures.apply(new MinPProcessor(0.0), ROW));
        assertEquals(List.of(0, 2), Fixtures.kept(Fixtures.apply(new MinPProcessor(1.0), 2f, 1f, 2f)));
    }

    @Test
    void exactWhereFloatProbabilitiesWouldUnderflow() {
        // p ratio e^-100 = 3.7e-44 is kept against min_p 1e-44 and removed against 1e-43
        assertEquals(List.of(0, 1), Fixtures.kept(Fixtures.apply(new MinPProcessor(1e-44), 0f, -100f)));
        assertEquals(List.of(0), Fixtures.kept(Fixtures.apply(new MinPProcessor(1e-43), 0f, -100f)));
    }

    @Test
    void rowsOfABatchAreFilteredSeparately() {
        INDArray logits = Fixtures.matrix(new float[] {0f, -1f, -5f}, new float[] {-5f, 10f, 9.5f});
        new MinPProcessor(0.2).process(LogitsContext.empty(2, 3), logits);
        float[][] v = Fixtures.values(logits);
        assertArrayEquals(new float[] {0f, -1f, NEG_INF}, v[0]);
        assertArrayEquals(new float[] {NEG_INF, 10f, 9.5f}, v[1]);
    }

    @Test
    void rejectsOutOfRange() {
        for (double bad : new double[] {-0.01, 1.01, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MinPProcessor(bad));
            assertEquals("min_p must be in [0, 1], got " + bad, e.getMessage());
        }
    }
}
