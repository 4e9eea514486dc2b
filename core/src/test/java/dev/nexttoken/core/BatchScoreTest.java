package dev.nexttoken.core;

import dev.nexttoken.core.model.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Generator#score(List, int)}: batched scoring equals scoring each sequence alone. */
class BatchScoreTest {

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

    private static int[] tokens(int n, int salt) {
        int vocab = gen.model().config().vocabSize();
        return IntStream.range(0, n).map(i -> (i * 7919 + salt * 104729 + i * i * 31) % vocab).toArray();
    }

    @Test
    void eachResultEqualsScoringTheSequenceAloneInTheOrderGiven() {
        List<int[]> sequences = new ArrayList<>();
        int[] lengths = {5, 2, WINDOW + 1, 17, 3 * WINDOW, 9, 9, 30};               // one past the window
        for (int i = 0; i < lengths.length; i++) {
            sequences.add(tokens(lengths[i], i));
        }
        List<ScoreResult> batched = gen.score(sequences, 8);
        assertEquals(sequences.size(), batched.size());
        for (int i = 0; i < sequences.size(); i++) {
            ScoreResult alone = gen.score(sequences.get(i), 8);
            assertArrayEquals(sequences.get(i), batched.get(i).tokens());
            assertEquals(alone.loss(), batched.get(i).loss(), 1e-5, "sequence " + i);
            assertArrayEquals(alone.tokenLosses(), batched.get(i).tokenLosses(), 1e-5, "sequence " + i);
        }
    }

    @Test
    void manySequencesAreSplitIntoBatchesOfBoundedPositions() {
        List<int[]> sequences = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sequences.add(tokens(2 + i % WINDOW, i));                               // 200 × up to 32 > 1024 positions
        }
        List<ScoreResult> batched = gen.score(sequences, WINDOW);
        for (int i = 0; i < sequences.size(); i += 37) {
            assertEquals(gen.score(sequences.get(i)).loss(), batched.get(i).loss(), 1e-5, "sequence " + i);
        }
        assertTrue(Generator.SCORE_BATCH_POSITIONS < 200 * 17, "the test needs several batches");
    }

    @Test
    void aShortSequenceOrABadStrideIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> gen.score(List.of(tokens(4, 0), new int[] {1}), WINDOW));
        assertThrows(IllegalArgumentException.class, () -> gen.score(List.of(tokens(4, 0)), 0));
        assertEquals(List.of(), gen.score(List.of(), WINDOW));
    }
}
