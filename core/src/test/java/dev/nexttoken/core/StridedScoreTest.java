package dev.nexttoken.core;

import dev.nexttoken.core.model.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Generator#score(int[], int)}: strided windows on the fixture model (n_positions 32). */
class StridedScoreTest {

    private static final int WINDOW = 32;
    private static Generator gen;

    @BeforeAll
    static void load() {
        gen = Generator.load(Fixtures.modelDir("tiny"));
    }

    @AfterAll
    static void close() {
        gen.close();
    }

    /** A long, varied sequence of ids inside the fixture's vocabulary. */
    private static int[] tokens(int n) {
        int vocab = gen.model().config().vocabSize();
        return IntStream.range(0, n).map(i -> (i * 7919 + i * i * 31) % vocab).toArray();
    }

    @Test
    void eachTokenIsPredictedOnceFromTheContextItsWindowGives() {
        int[] tokens = tokens(3 * WINDOW + 7);
        int stride = 8;
        double[] losses = gen.score(tokens, stride).tokenLosses();
        assertEquals(tokens.length - 1, losses.length);
        for (int j = 0; j < losses.length; j++) {                    // input j predicts token j + 1
            int end = j < WINDOW ? WINDOW : WINDOW + ((j - WINDOW) / stride + 1) * stride;
            int start = Math.max(0, Math.min(end, losses.length) - WINDOW);
            double alone = gen.score(Arrays.copyOfRange(tokens, start, j + 2)).tokenLosses()[j - start];
            assertEquals(alone, losses[j], 1e-4, "token " + (j + 1) + " with context from " + start);
        }
    }

    @Test
    void aStrideOfTheWholeWindowIsConsecutiveWindows() {
        int[] tokens = tokens(2 * WINDOW + 3);
        double[] strided = gen.score(tokens, WINDOW).tokenLosses();
        double[] consecutive = gen.score(tokens).tokenLosses();
        assertArrayEquals(consecutive, strided, 0.0);
        // the first token of the second window sees nothing before it: as if it started a text
        double fresh = gen.score(Arrays.copyOfRange(tokens, WINDOW, WINDOW + 2)).tokenLosses()[0];
        assertEquals(fresh, strided[WINDOW], 1e-4);
    }

    @Test
    void aSmallerStrideGivesLaterTokensMoreContext() {
        int[] tokens = tokens(2 * WINDOW + 3);
        double[] consecutive = gen.score(tokens, WINDOW).tokenLosses();
        double[] strided = gen.score(tokens, 4).tokenLosses();
        assertArrayEquals(Arrays.copyOf(consecutive, WINDOW), Arrays.copyOf(strided, WINDOW), 0.0);
        assertNotEquals(consecutive[WINDOW], strided[WINDOW], 1e-3);
    }

    @Test
    void aTextInsideOneWindowScoresTheSameWithAnyStride() {
        ScoreResult whole = gen.score(tokens(WINDOW + 1));
        for (int stride : new int[] {1, 5, WINDOW}) {
            ScoreResult strided = gen.score(tokens(WINDOW + 1), stride);
            assertArrayEquals(whole.tokenLosses(), strided.tokenLosses(), 0.0);
            assertEquals(whole.loss(), strided.loss(), 0.0);
        }
    }

    @Test
    void aStrideOutsideTheWindowIsRefusedWithTheRange() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> gen.score(tokens(10), 0));
        assertTrue(zero.getMessage().contains("[1, 32]"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> gen.score(tokens(10), WINDOW + 1));
        assertThrows(IllegalArgumentException.class, () -> gen.score(new int[] {1}, 4));
    }
}
