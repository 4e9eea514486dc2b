package dev.nexttoken.core.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FloatArrayPool}: reuse of a fitting array, no reuse far above the request, and the bound on what it keeps. */
class FloatArrayPoolTest {

    private final FloatArrayPool pool = new FloatArrayPool(1_000_000);

    @Test
    void aReturnedArrayIsHandedOutAgainForARequestItFits() {
        float[] first = pool.take(100_003);
        pool.give(first);
        float[] again = pool.take(100_000);
        assertSame(first, again);
        assertTrue(again.length >= 100_000);
        pool.give(again);
        float[] small = pool.take(1_000);                 // far smaller: a new array
        assertNotSame(first, small);
        assertEquals(1_000, small.length);
        assertSame(first, pool.take(100_003));
    }

    @Test
    void itNeverKeepsMoreThanItsCapacity() {
        long capacity = pool.capacityFloats();
        int size = (int) (capacity / 3 + 1);
        for (int i = 0; i < 4; i++) {
            pool.give(new float[size]);
            assertTrue(pool.heldFloats() <= capacity, "held " + pool.heldFloats() + " of " + capacity);
        }
        assertEquals(2L * size, pool.heldFloats());                   // the two newest
        pool.give(new float[(int) capacity + 1]);                    // bigger than the whole pool: not kept
        assertEquals(2L * size, pool.heldFloats());
        pool.give(null);                                    // ignored
    }
}
