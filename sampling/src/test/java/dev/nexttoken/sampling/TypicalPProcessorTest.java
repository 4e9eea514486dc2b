package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class TypicalPProcessorTest {

    // p = 0.5, 0.25, 0.125, 0.125: entropy H = 1.75 ln 2 = 1.213; surprisals ln2, 2ln2, 3ln2, 3ln2;
    // distances |s - H| = 0.520, 0.173, 0.866, 0.866: typical order 1, 0, {2, 3}; cumulative 0.25, 0.75, 0.875, 1
    private static final float[] ROW = Fixtures.logs(0.5, 0.25, 0.125, 0.125);

    private static List<Integer> keptAt(double p, float... row) {
        return Fixtures.kept(Fixtures.apply(new TypicalPProcessor(p), row));
    }

    @Test
    void keepsTheMostTypicalTokensUntilTheMassIsReached() {
        assertEquals(List.of(1), keptAt(0.2, ROW)); // the most probable token is not the most typical
        assertEquals(List.of(0, 1), keptAt(0.5, ROW));
        assertEquals(List.of(0, 1), keptAt(0.74, ROW));
    }

    @Test
    void tiesWithTheCutOffSurvive() {
        assertEquals(List.of(0, 1, 2, 3), keptAt(0.8, ROW));
    }

    @Test
    void pOneIsANoOpAndTinyPKeepsOne() {
        assertArrayEquals(ROW, Fixtures.apply(new TypicalPProcessor(1.0), ROW));
        assertEquals(List.of(1), keptAt(1e-9, ROW));
    }

    @Test
    void minusInfinityIsIgnored() {
        float[] row = {ROW[0], NEG_INF, ROW[1], ROW[2], ROW[3]};
        assertEquals(List.of(0, 2), keptAt(0.5, row));
    }

    @Test
    void uniformDistributionKeepsEverything() {
        // every token is exactly as typical as the others: all tie with the cut-off
        assertEquals(List.of(0, 1, 2), keptAt(0.1, 1f, 1f, 1f));
    }

    @Test
    void rejectsOutOfRange() {
        for (double bad : new double[] {0.0, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TypicalPProcessor(bad));
            assertEquals("typical_p must be in (0, 1], got " + bad, e.getMessage());
        }
    }
}
