package dev.nexttoken.core.model;

/**
 * GPT-2's tanh GELU in plain float arithmetic, so that the JIT compiles its loop to vector
 * instructions: {@code tanh} is a rational function (odd polynomial of degree 13 over an even
 * one of degree 6, the minimax fit Eigen uses) on inputs clamped to ±7.9, where tanh is 1 to
 * float precision. No call to {@link Math#exp} per element: the JIT does not vectorize it, and a
 * prompt's GELU makes millions of them (docs/PERFORMANCE.md). Every operation is a basic IEEE one, so results are the same in every JIT
 * tier; the error against {@link Math#tanh} is below 1e-6 (see the tests).
 */
final class FastTanh {

    private static final float CLAMP = 7.90531110763549805f;
    private static final float ALPHA_1 = 4.89352455891786e-03f;
    private static final float ALPHA_3 = 6.37261928875436e-04f;
    private static final float ALPHA_5 = 1.48572235717979e-05f;
    private static final float ALPHA_7 = 5.12229709037114e-08f;
    private static final float ALPHA_9 = -8.60467152213735e-11f;
    private static final float ALPHA_11 = 2.00018790482477e-13f;
    private static final float ALPHA_13 = -2.76076847742355e-16f;
    private static final float BETA_0 = 4.89352518554385e-03f;
    private static final float BETA_2 = 2.26843463243900e-03f;
    private static final float BETA_4 = 1.18534705686654e-04f;
    private static final float BETA_6 = 1.19825839466702e-06f;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    private FastTanh() {
    }

    /** {@code tanh(x)} to within ~1e-6. */
    static float tanh(float x) {
        float u = Math.max(-CLAMP, Math.min(CLAMP, x));
        float u2 = u * u;
        float p = u2 * ALPHA_13 + ALPHA_11;
        p = p * u2 + ALPHA_9;
        p = p * u2 + ALPHA_7;
        p = p * u2 + ALPHA_5;
        p = p * u2 + ALPHA_3;
        p = p * u2 + ALPHA_1;
        p = p * u;
        float q = u2 * BETA_6 + BETA_4;
        q = q * u2 + BETA_2;
        q = q * u2 + BETA_0;
        return p / q;
    }

    /** GPT-2's GELU in place over {@code v[from … to)}: {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
    static void gelu(float[] v, int from, int to) {
        for (int i = from; i < to; i++) {
            float x = v[i];
            v[i] = 0.5f * x * (1f + tanh(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x)));
        }
    }
}
