package dev.nexttoken.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Property tests with seeded random inputs (the seed is in every failure message): softmax gives
 * a distribution for any row that has one, and the pipeline with any valid options either chooses
 * a token the chain kept or fails with {@link SamplingException}.
 */
class SamplingPropertyTest {

    /**
     * For any row with at least one logit above {@code -inf} and no NaN: no NaN out, every
     * probability in [0, 1], {@code -inf} gives exactly 0, a larger logit never a smaller
     * probability, and the sum is 1 within 1e-5 (in fact within a few ulps).
     */
    @Test
    void softmaxOfAnyRowSumsToOneWithoutNaN() {
        for (int trial = 0; trial < 2000; trial++) {
            Random random = new Random(trial);
            float[] row = randomRow(random, trial % 50 == 0 ? 50257 : 1 + random.nextInt(300));
            String what = "trial " + trial;
            double[] p = Softmax.probabilities(row);
            double sum = 0;
            for (int i = 0; i < row.length; i++) {
                boolean valid = p[i] >= 0 && p[i] <= 1 && (row[i] != Float.NEGATIVE_INFINITY || p[i] == 0);  // false for NaN
                if (!valid) {
                    throw new AssertionError(what + ": logit " + row[i] + " gave probability " + p[i]);
                }
                sum += p[i];
            }
            assertEquals(1.0, sum, 1e-5, what);
            for (int k = 0; k < 50; k++) {
                int i = random.nextInt(row.length);
                int j = random.nextInt(row.length);
                if (row[i] > row[j]) {
                    assertTrue(p[i] >= p[j], what + ": logit " + row[i] + " > " + row[j] + " but p " + p[i] + " < " + p[j]);
                }
            }
        }
    }

    @Test
    void softmaxOfEveryRowOfAMatrixSumsToOne() {
        Random random = new Random(42);
        float[][] rows = new float[8][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = randomRow(random, 1000);
        }
        double[][] p = Softmax.probabilities(Fixtures.matrix(rows));
        for (double[] row : p) {
            assertEquals(1.0, java.util.Arrays.stream(row).sum(), 1e-5);
            assertTrue(java.util.Arrays.stream(row).noneMatch(Double::isNaN));
        }
    }

    /**
     * Random valid options over random logits and histories: {@code choose} gives one id per row,
     * inside the vocabulary and not removed by the chain ({@code inspect} agrees and its
     * probabilities sum to at most 1), or the pipeline throws {@link SamplingException}; nothing
     * else. The same seed gives the same ids.
     */
    @Test
    void thePipelineChoosesAKeptTokenOrThrowsSamplingException() {
        int chosen = 0;
        for (int trial = 0; trial < 400; trial++) {
            Random random = new Random(10_000 + trial);
            String what = "trial " + trial;
            int vocab = 1 + random.nextInt(random.nextBoolean() ? 20 : 2000);
            int batch = 1 + random.nextInt(3);
            SamplingOptions options = randomOptions(random, vocab);
            SamplingPipeline pipeline = SamplingPipeline.of(options);
            float[][] rows = new float[batch][];
            List<int[]> histories = new ArrayList<>();
            int promptLength = random.nextInt(5);
            for (int r = 0; r < batch; r++) {
                rows[r] = randomRow(random, vocab);
                histories.add(random.ints(promptLength + random.nextInt(6), 0, vocab).toArray());
            }
            int[] promptLengths = new int[batch];
            java.util.Arrays.fill(promptLengths, promptLength);
            LogitsContext context = LogitsContext.of(vocab, random.nextInt(5), histories, promptLengths);
            long seed = random.nextLong();
            INDArray logits = Fixtures.matrix(rows);
            int[] ids;
            try {
                ids = pipeline.choose(context, logits, RandomStreams.create(seed));
            } catch (SamplingException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), what);
                continue;
            } catch (RuntimeException e) {
                throw new AssertionError(what + " with " + options + " failed with " + e, e);
            }
            float[][] processed = Fixtures.values(logits);
            List<Inspection> inspections = pipeline.inspect(context, Fixtures.matrix(rows), RandomStreams.create(seed), 5);
            for (int r = 0; r < batch; r++) {
                assertTrue(ids[r] >= 0 && ids[r] < vocab, what);
                assertTrue(processed[r][ids[r]] > Float.NEGATIVE_INFINITY, what + ": chose a removed token");
                assertEquals(ids[r], inspections.get(r).chosenId(), what + ": inspect draws what choose draws");
                double shown = inspections.get(r).candidates().stream().mapToDouble(Candidate::probability).sum();
                assertTrue(shown <= 1 + 1e-9, what);
            }
            chosen++;
        }
        assertTrue(chosen > 200, chosen + " of 400 chose");
    }

    /** Valid options of every kind; ids may lie outside the vocabulary (the chain then says so). */
    private static SamplingOptions randomOptions(Random r, int vocab) {
        SamplingOptions.Builder b = SamplingOptions.builder();
        b.temperature(r.nextInt(5) == 0 ? 0 : 0.01 + r.nextDouble() * 5);
        b.topK(r.nextBoolean() ? 0 : 1 + r.nextInt(vocab + 2));
        if (r.nextBoolean()) {
            b.topP(1e-6 + r.nextDouble() * (1 - 1e-6));
        }
        if (r.nextInt(3) == 0) {
            b.minP(r.nextDouble());
        }
        if (r.nextInt(3) == 0) {
            b.typicalP(1e-6 + r.nextDouble() * (1 - 1e-6));
        }
        if (r.nextInt(3) == 0) {
            b.repetitionPenalty(0.1 + r.nextDouble() * 3);
        }
        if (r.nextInt(3) == 0) {
            b.frequencyPenalty(r.nextDouble() * 4 - 2).presencePenalty(r.nextDouble() * 4 - 2);
        }
        if (r.nextInt(4) == 0) {
            b.penaltyWindow(r.nextInt(4));
        }
        if (r.nextInt(4) == 0) {
            b.noRepeatNgramSize(1 + r.nextInt(3));
        }
        if (r.nextInt(4) == 0) {
            b.logitBias(r.nextInt(vocab + 1), r.nextBoolean() ? r.nextGaussian() * 10 : Double.NEGATIVE_INFINITY);
        }
        if (r.nextInt(4) == 0) {
            b.banTokens(r.ints(r.nextInt(3), 0, vocab + 1).toArray());
        }
        if (r.nextInt(5) == 0) {
            b.minNewTokens(1 + r.nextInt(3)).endOfTextId(r.nextInt(vocab));
        }
        return b.build();
    }

    /** A row of logits mixing ordinary values, huge and tiny magnitudes, ties and infinities. */
    static float[] randomRow(Random r, int length) {
        float[] row = new float[length];
        int kind = r.nextInt(8);
        float scale = new float[] {1e-3f, 1f, 30f, 1e30f, Float.MAX_VALUE}[r.nextInt(5)];
        for (int i = 0; i < length; i++) {
            row[i] = switch (kind) {
                case 0 -> 3f;                                                               // all tied
                case 1 -> r.nextInt(4) == 0 ? Float.NEGATIVE_INFINITY : (float) r.nextGaussian() * scale;
                case 2 -> r.nextInt(50) == 0 ? Float.POSITIVE_INFINITY : (float) r.nextGaussian() * scale;
                case 3 -> r.nextBoolean() ? Float.MIN_VALUE * r.nextInt(5) : -Float.MIN_VALUE;  // subnormals
                case 4 -> r.nextBoolean() ? Float.MAX_VALUE : -Float.MAX_VALUE;
                default -> Math.max(-Float.MAX_VALUE, Math.min(Float.MAX_VALUE, (float) (r.nextGaussian() * scale)));
            };
        }
        if (kind == 1 && allMinusInfinity(row)) {
            row[r.nextInt(length)] = 0f;                                                   // keep one token
        }
        return row;
    }

    private static boolean allMinusInfinity(float[] row) {
        for (float v : row) {
            if (v != Float.NEGATIVE_INFINITY) {
                return false;
            }
        }
        return true;
    }
}
