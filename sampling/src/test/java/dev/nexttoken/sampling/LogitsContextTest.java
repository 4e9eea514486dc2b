package dev.nexttoken.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class LogitsContextTest {

    @Test
    void holdsCopiesOfTheHistories() {
        int[] row0 = {1, 2, 3};
        int[] row1 = {4};
        LogitsContext context = LogitsContext.of(10, 2, List.of(row0, row1), new int[] {1, 1});
        row0[0] = 9;
        assertEquals(1, context.token(0, 0));
        int[] copy = context.tokens(0);
        copy[1] = 9;
        assertArrayEquals(new int[] {1, 2, 3}, context.tokens(0));
        assertEquals(2, context.batchSize());
        assertEquals(10, context.vocabSize());
        assertEquals(2, context.step());
        assertEquals(3, context.length(0));
        assertEquals(1, context.length(1));
        assertEquals(1, context.promptLength(0));
        assertEquals(2, context.newTokenCount(0));
        assertEquals(0, context.newTokenCount(1));
    }

    @Test
    void emptyContext() {
        LogitsContext context = LogitsContext.empty(3, 50257);
        assertEquals(3, context.batchSize());
        assertEquals(0, context.length(2));
        assertEquals(0, context.step());
    }

    @Test
    void rejectsInconsistentArguments() {
        assertEquals("token 10 at position 1 of row 0 is outside the vocabulary [0, 10)",
                assertThrows(IllegalArgumentException.class,
                        () -> LogitsContext.of(10, 0, List.of(new int[] {1, 10}), new int[] {0})).getMessage());
        assertEquals("prompt length of row 0 must be in [0, 2], got 3",
                assertThrows(IllegalArgumentException.class,
                        () -> LogitsContext.of(10, 0, List.of(new int[] {1, 2}), new int[] {3})).getMessage());
        assertEquals("promptLengths has 2 entries but there are 1 rows",
                assertThrows(IllegalArgumentException.class,
                        () -> LogitsContext.of(10, 0, List.of(new int[] {1}), new int[] {0, 0})).getMessage());
        assertThrows(IllegalArgumentException.class, () -> LogitsContext.of(0, 0, List.of(new int[0]), new int[1]));
        assertThrows(IllegalArgumentException.class, () -> LogitsContext.of(5, -1, List.of(new int[0]), new int[1]));
        assertThrows(IllegalArgumentException.class, () -> LogitsContext.of(5, 0, List.of(), new int[0]));
        assertThrows(IllegalArgumentException.class, () -> LogitsContext.empty(0, 5));
    }
}
