package dev.nexttoken.core.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FastTanh} against {@link Math#tanh} in double over the whole float range that matters. */
class FastTanhTest {

    @Test
    void tanhIsWithinOneMillionthEverywhere() {
        double worst = 0;
        for (float x = -20f; x <= 20f; x += 1e-3f) {
            worst = Math.max(worst, Math.abs(FastTanh.tanh(x) - Math.tanh(x)));
        }
        for (float x : new float[] {0f, -0f, 1e-30f, -1e-30f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE}) {
            worst = Math.max(worst, Math.abs(FastTanh.tanh(x) - Math.tanh(x)));
        }
        assertTrue(worst < 1e-6, "worst error " + worst);
        assertEquals(0f, FastTanh.tanh(0f));
    }

    @Test
    void geluMatchesTheFormulaInDouble() {
        Random random = new Random(5);
        float[] v = new float[10_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * 5);
        }
        float[] original = v.clone();
        FastTanh.gelu(v, 1, v.length - 1);
        assertEquals(original[0], v[0]);
        assertEquals(original[v.length - 1], v[v.length - 1]);
        for (int i = 1; i < v.length - 1; i++) {
            double x = original[i];
            double want = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            assertEquals(want, v[i], 2e-6 * Math.max(1, Math.abs(want)), "x = " + x);
        }
    }
}
