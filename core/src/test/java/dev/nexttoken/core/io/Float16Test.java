package dev.nexttoken.core.io;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class Float16Test {

    @Test
    void halfToFloatKnownValues() {
        assertEquals(0.0f, Float16.halfToFloat(0x0000));
        assertEquals(Float.floatToIntBits(-0.0f), Float.floatToIntBits(Float16.halfToFloat(0x8000)));
        assertEquals(1.0f, Float16.halfToFloat(0x3C00));
        assertEquals(-2.0f, Float16.halfToFloat(0xC000));
        assertEquals(65504.0f, Float16.halfToFloat(0x7BFF));
        assertEquals(0x1p-24f, Float16.halfToFloat(0x0001));          // smallest subnormal
        assertEquals(1023 * 0x1p-24f, Float16.halfToFloat(0x03FF));   // largest subnormal
        assertEquals(0x1p-14f, Float16.halfToFloat(0x0400));          // smallest normal
        assertEquals(Float.POSITIVE_INFINITY, Float16.halfToFloat(0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, Float16.halfToFloat(0xFC00));
        assertTrue(Float.isNaN(Float16.halfToFloat(0x7E00)));
        // from the tiny-f16 fixture (numpy): wte[0, 0] is stored as 11372
        assertEquals(0.069091796875f, Float16.halfToFloat(11372));
    }

    @Test
    void everyHalfSurvivesARoundTrip() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float value = Float16.halfToFloat(bits);
            int pattern = bits;
            if (Float.isNaN(value)) {
                assertTrue(Float.isNaN(Float16.halfToFloat(Float16.floatToHalf(value))));
            } else {
                assertEquals(bits, Float16.floatToHalf(value) & 0xFFFF, () -> "bits " + Integer.toHexString(pattern));
            }
        }
    }

    @Test
    void floatToHalfRoundsHalfwayCasesToEven() {
        for (int bits = 0; bits < 0x7BFF; bits++) {              // every pair of neighbouring positive finite halves
            float low = Float16.halfToFloat(bits);
            float high = Float16.halfToFloat(bits + 1);
            float midpoint = (float) (((double) low + high) / 2);    // exact in float32
            int even = (bits & 1) == 0 ? bits : bits + 1;
            int after = bits;
            assertEquals(even, Float16.floatToHalf(midpoint) & 0xFFFF, () -> "midpoint after " + Integer.toHexString(after));
            assertEquals(bits, Float16.floatToHalf(Math.nextDown(midpoint)) & 0xFFFF);
            assertEquals(bits + 1, Float16.floatToHalf(Math.nextUp(midpoint)) & 0xFFFF);
            assertEquals(bits ^ 0x8000, Float16.floatToHalf(-low) & 0xFFFF);
        }
    }

    @Test
    void floatToHalfEdges() {
        assertEquals(0x7C00, Float16.floatToHalf(65520f) & 0xFFFF);   // halfway to 2^16 rounds up to infinity
        assertEquals(0x7BFF, Float16.floatToHalf(65519f) & 0xFFFF);
        assertEquals(0x7C00, Float16.floatToHalf(1e10f) & 0xFFFF);
        assertEquals(0xFC00, Float16.floatToHalf(Float.NEGATIVE_INFINITY) & 0xFFFF);
        assertEquals(0x0000, Float16.floatToHalf(0x1p-25f) & 0xFFFF);  // tie between 0 and 2^-24: even (0)
        assertEquals(0x0001, Float16.floatToHalf(Math.nextUp(0x1p-25f)) & 0xFFFF);
        assertEquals(0x0000, Float16.floatToHalf(Float.MIN_VALUE) & 0xFFFF);
        assertEquals(0x8000, Float16.floatToHalf(-1e-30f) & 0xFFFF);
        assertTrue(Float.isNaN(Float16.halfToFloat(Float16.floatToHalf(Float.NaN))));
    }

    @Test
    void bf16KnownValues() {
        assertEquals(1.0f, Float16.bf16ToFloat(0x3F80));
        assertEquals(-2.0f, Float16.bf16ToFloat(0xC000));
        assertEquals(0.15625f, Float16.bf16ToFloat(0x3E20));
        assertEquals(0x3F80, Float16.floatToBf16(1.0f) & 0xFFFF);
        assertEquals(0x3F80, Float16.floatToBf16(Float.intBitsToFloat(0x3F808000)) & 0xFFFF); // tie: to even
        assertEquals(0x3F82, Float16.floatToBf16(Float.intBitsToFloat(0x3F818000)) & 0xFFFF); // tie: to even
        assertEquals(0x3F81, Float16.floatToBf16(Float.intBitsToFloat(0x3F808001)) & 0xFFFF);
        assertEquals(0x7F80, Float16.floatToBf16(Float.POSITIVE_INFINITY) & 0xFFFF);
        assertTrue(Float.isNaN(Float16.bf16ToFloat(Float16.floatToBf16(Float.NaN))));
    }

    /** numpy made tiny-f16 from tiny's float32 values: our rounding must give the same bits. */
    @Test
    void floatToHalfMatchesNumpyOnTheWholeFixture() throws IOException {
        ByteBuffer f32 = data(Files.readAllBytes(TestFiles.tinyWeights()));
        ByteBuffer f16 = data(Files.readAllBytes(TestFiles.fixture("tiny-f16").resolve("model.safetensors")));
        // both files hold the same tensors in the same (name) order, so the data sections line up
        int count = f32.remaining() / 4;
        assertEquals(count * 2, f16.remaining());
        assertEquals(3_318_592, count);                          // the parameter count of the tiny model
        for (int i = 0; i < count; i++) {
            float value = f32.getFloat(f32.position() + 4 * i);
            short expected = f16.getShort(f16.position() + 2 * i);
            if (Float16.floatToHalf(value) != expected) {
                fail("element " + i + " = " + value + ": numpy gives bits " + expected + ", we give "
                        + Float16.floatToHalf(value));
            }
        }
    }

    private static ByteBuffer data(byte[] file) {
        ByteBuffer bytes = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = bytes.getLong(0);
        bytes.position((int) (8 + headerLength));
        return bytes;
    }
}
