package dev.nexttoken.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RandomStreamsTest {

    @Test
    void splitMix64MatchesThePublishedTestVector() {
        RandomStream s = RandomStream.fromState(0);
        assertEquals(0xE220A8397B1DCDAFL, s.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, s.nextLong());
        assertEquals(0x06C45D188009454FL, s.nextLong());
        assertEquals(0xF88BB8A8724C81ECL, s.nextLong());
    }

    @Test
    void sameSeedAndIndexGiveTheSameNumbers() {
        RandomStream a = RandomStream.of(1337, 3);
        RandomStream b = RandomStream.of(1337, 3);
        for (int i = 0; i < 100; i++) {
            assertEquals(a.nextLong(), b.nextLong());
        }
    }

    @Test
    void differentIndicesOrSeedsGiveDifferentNumbers() {
        assertNotEquals(RandomStream.of(1337, 0).nextLong(), RandomStream.of(1337, 1).nextLong());
        assertNotEquals(RandomStream.of(1337, 0).nextLong(), RandomStream.of(1338, 0).nextLong());
    }

    @Test
    void nextDoubleIsInTheUnitInterval() {
        RandomStream s = RandomStream.of(0, 0);
        double sum = 0;
        for (int i = 0; i < 100_000; i++) {
            double u = s.nextDouble();
            assertTrue(u >= 0.0 && u < 1.0);
            sum += u;
        }
        assertEquals(0.5, sum / 100_000, 0.005);
    }

    @Test
    void streamsPersistAndMatchTheirDerivation() {
        RandomStreams streams = RandomStreams.create(42);
        RandomStream third = streams.stream(3);
        assertSame(third, streams.stream(3));
        RandomStream fresh = RandomStream.of(42, 3);
        assertEquals(fresh.nextLong(), third.nextLong());
        assertEquals(fresh.nextLong(), streams.stream(3).nextLong()); // state carried on
        assertEquals(42, third.seed());
        assertEquals(3, third.sequenceIndex());
    }

    @Test
    void offsetViewsShareState() {
        RandomStreams streams = RandomStreams.create(7);
        RandomStreams second = streams.offset(2);
        assertSame(streams.stream(5), second.stream(3));
        assertSame(streams.stream(5), second.offset(1).stream(2));
        assertSame(streams.stream(100), streams.stream(100)); // grows past the initial capacity
    }

    @Test
    void rejectsNegativeIndices() {
        assertThrows(IllegalArgumentException.class, () -> RandomStreams.create(1).stream(-1));
        assertThrows(IllegalArgumentException.class, () -> RandomStreams.create(1).offset(-1));
        assertThrows(IllegalArgumentException.class, () -> RandomStream.of(1, -1));
    }
}
