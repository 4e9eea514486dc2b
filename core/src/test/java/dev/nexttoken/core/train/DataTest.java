package dev.nexttoken.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nexttoken.core.NextTokenException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {

    @TempDir
    Path tmp;

    @Test
    void tokenFilesRoundTripInBothFormats() throws IOException {
        int[] tokens = {0, 1, 50256, 65535, 7};
        Path u16 = tmp.resolve("a.bin");
        TokenData.write(u16, tokens, TokenFormat.UINT16);
        assertEquals(10, Files.size(u16));
        assertArrayEquals(tokens, TokenData.open(u16, TokenFormat.UINT16).toArray());

        Path i32 = tmp.resolve("b.bin");
        int[] big = {70000, 3};
        TokenData.write(i32, big, TokenFormat.INT32);
        assertEquals(8, Files.size(i32));
        assertArrayEquals(big, TokenData.open(i32, TokenFormat.INT32).toArray());
        assertThrows(IllegalArgumentException.class, () -> TokenData.write(u16, big, TokenFormat.UINT16));
    }

    @Test
    void badTokenFilesAreReported() throws IOException {
        Path odd = tmp.resolve("odd.bin");
        Files.write(odd, new byte[] {1, 2, 3});
        NextTokenException e = assertThrows(NextTokenException.class, () -> TokenData.open(odd, TokenFormat.UINT16));
        assertTrue(e.getMessage().contains("not a whole number of UINT16 tokens"), e.getMessage());
        assertThrows(NextTokenException.class, () -> TokenData.open(tmp.resolve("none.bin"), TokenFormat.INT32));
    }

    @Test
    void splitHoldsOutTheLastTokens() {
        TokenData all = TokenData.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        DataSplit split = DataSplit.of(all, 0.2);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, split.train().toArray());
        assertArrayEquals(new int[] {8, 9}, split.validation().toArray());
        assertEquals(9, split.validation().get(1));
    }

    @Test
    void windowsAreConsecutiveTokensWithTargetsShiftedByOne() {
        int[] tokens = new int[100];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        WindowSampler sampler = new WindowSampler(TokenData.of(tokens), 4, 8, 42);
        boolean sawLastStart = false;
        for (int n = 0; n < 200; n++) {
            WindowSampler.Batch batch = sampler.next();
            assertEquals(32, batch.tokenCount());
            for (int b = 0; b < 4; b++) {
                int start = batch.inputs()[b][0];
                assertTrue(start >= 0 && start <= 100 - 9, "start " + start);
                sawLastStart |= start == 91;
                for (int t = 0; t < 8; t++) {
                    assertEquals(start + t, batch.inputs()[b][t]);
                    assertEquals(start + t + 1, batch.targets()[b][t]);
                }
            }
        }
        assertTrue(sawLastStart, "the last window (ending on the last token) is drawn too");
    }

    @Test
    void samplerStateRestoresTheSameWindows() {
        TokenData data = TokenData.of(new int[500]);
        WindowSampler a = new WindowSampler(TokenData.of(range(500)), 2, 5, 1);
        a.next();
        long state = a.state();
        WindowSampler.Batch expected = a.next();
        WindowSampler b = new WindowSampler(TokenData.of(range(500)), 2, 5, 999);
        b.restore(state);
        assertArrayEquals(expected.inputs(), b.next().inputs());
        assertThrows(IllegalArgumentException.class, () -> new WindowSampler(TokenData.of(1, 2, 3), 1, 3, 0));
        assertEquals(500, data.size());
    }

    /** Train counts a=2, b=1 of 3 tokens; vocabulary 4: p(a) = 3/7, p(b) = 2/7, p(c) = 1/7. */
    @Test
    void unigramBaselineIsTheAddOneSmoothedCrossEntropy() {
        TokenData train = TokenData.of(0, 0, 1);
        TokenData validation = TokenData.of(0, 1, 2);
        double expected = -(Math.log(3.0 / 7) + Math.log(2.0 / 7) + Math.log(1.0 / 7)) / 3;
        assertEquals(expected, UnigramBaseline.loss(train, validation, 4), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> UnigramBaseline.loss(train, TokenData.of(9), 4));
    }

    private static int[] range(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }
}
