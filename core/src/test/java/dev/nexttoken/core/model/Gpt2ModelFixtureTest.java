package dev.nexttoken.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.nexttoken.core.model.Fixtures.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model against the reference implementation's logits, losses and greedy continuations,
 * once per {@link ComputePath}: {@link Gpt2ModelFixtureNd4jOpsTest} and {@link Gpt2ModelFixtureCpuBlasTest}
 * (top-level classes: Maven's test runner skips nested ones).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class Gpt2ModelFixtureTest {

    private static final double LOGIT_TOLERANCE = 1e-4;
    private static final double LOSS_TOLERANCE = 1e-5;

    private Gpt2Model f32;
    private Gpt2Model f16;
    /** Largest |Δlogit| seen against the fixtures, reported at the end. */
    private double largestLogitDiff;

    abstract ComputePath path();

    @BeforeAll
    void load() {
        f32 = new Gpt2Model(Gpt2Weights.load(Fixtures.modelDir("tiny")), path());
        f16 = new Gpt2Model(Gpt2Weights.load(Fixtures.modelDir("tiny-f16")), path());
        assertEquals(path(), f32.computePath());
    }

    @AfterAll
    void close() {
        f32.close();
        f16.close();
        System.err.printf("%s: largest |logit - reference| seen: %.3g%n", path(), largestLogitDiff);
    }

    @Test
    void logitsMatchTheReferenceAtEveryStoredPosition() {
        for (JsonNode sequence : Fixtures.expected().get("sequences")) {
            int[] tokens = ints(sequence.get("tokens"));
            float[][] logits = owned(f32.forwardAllPositions(new int[][] {tokens}));
            for (int t = 0; t < tokens.length; t++) {
                String where = sequence.get("name").asText() + " position " + t;
                for (JsonNode pair : sequence.get("topk").get(t)) {
                    assertClose(pair.get(1).asDouble(), logits[t][pair.get(0).asInt()], LOGIT_TOLERANCE, where);
                }
                assertClose(sequence.get("logsumexp").get(t).asDouble(), logSumExp(logits[t]), LOGIT_TOLERANCE, where);
            }
            JsonNode last = sequence.get("last_logits");
            for (int id = 0; id < last.size(); id++) {
                assertClose(last.get(id).asDouble(), logits[tokens.length - 1][id], LOGIT_TOLERANCE,
                        sequence.get("name").asText() + " last row, id " + id);
            }
        }
    }

    @Test
    void f16LogitsMatchTheReference() {
        for (JsonNode sequence : Fixtures.expected().get("f16").get("sequences")) {
            int[] tokens = ints(sequence.get("tokens"));
            float[][] logits = owned(f16.forwardAllPositions(new int[][] {tokens}));
            float[] last = logits[tokens.length - 1];
            String where = "f16 " + sequence.get("name").asText();
            for (JsonNode pair : sequence.get("last_topk")) {
                assertClose(pair.get(1).asDouble(), last[pair.get(0).asInt()], LOGIT_TOLERANCE, where);
            }
            assertClose(sequence.get("last_logsumexp").asDouble(), logSumExp(last), LOGIT_TOLERANCE, where);
        }
    }

    @Test
    void lossMatchesNanoGpt() {
        for (JsonNode entry : Fixtures.expected().get("loss")) {
            LossResult result = f32.loss(new int[][] {ints(entry.get("tokens"))},
                    new int[][] {ints(entry.get("targets"))});
            assertEquals(entry.get("loss").asDouble(), result.loss(), LOSS_TOLERANCE, entry.get("name").asText());
            long ignored = Arrays.stream(ints(entry.get("targets"))).filter(t -> t == -1).count();
            assertEquals(entry.get("targets").size() - ignored, result.count());
        }
    }

    @Test
    void greedyContinuationsMatchIncludingCroppedContexts() {
        for (JsonNode entry : Fixtures.expected().get("greedy")) {
            assertGreedy(f32, entry);
        }
        for (JsonNode entry : Fixtures.expected().get("f16").get("greedy")) {
            assertGreedy(f16, entry);
        }
        for (JsonNode entry : Fixtures.expected().get("text_prompts")) {
            int[] prompt = ints(entry.get("prompt_ids"));
            int[] continuation = greedy(f32, prompt, entry.get("max_new_tokens").asInt());
            assertArrayEquals(ints(entry.get("new_tokens")), continuation, entry.get("text").asText());
        }
    }

    @Test
    void cachedDecodingGivesTheLogitsOfAFullRecompute() {
        int[] tokens = ints(Fixtures.expected().get("greedy").get(0).get("prompt"));
        List<Integer> sequence = new ArrayList<>();
        for (int id : tokens) {
            sequence.add(id);
        }
        try (KvCache cache = f32.newCache(1)) {
            float[] cached = rows(f32.forward(new int[][] {tokens}, cache))[0];
            for (int step = 0; step < 20; step++) {
                int[] all = sequence.stream().mapToInt(Integer::intValue).toArray();
                float[][] full = owned(f32.forwardAllPositions(new int[][] {all}));
                assertArrayEquals(full[all.length - 1], cached, 1e-5f, "step " + step);
                int next = argMax(cached);
                sequence.add(next);
                cached = rows(f32.forward(new int[][] {{next}}, cache))[0];
            }
        }
    }

    @Test
    void batchedRowsEqualSingleRuns() {
        int[] a = {464, 2068, 7586, 21831};
        int[] b = {15496, 11, 616, 1438};
        try (KvCache both = f32.newCache(2); KvCache one = f32.newCache(1); KvCache two = f32.newCache(1)) {
            float[][] batched = rows(f32.forward(new int[][] {a, b}, both));
            assertArrayEquals(rows(f32.forward(new int[][] {a}, one))[0], batched[0], 1e-5f);
            assertArrayEquals(rows(f32.forward(new int[][] {b}, two))[0], batched[1], 1e-5f);
            float[][] step = rows(f32.forward(new int[][] {{13}, {318}}, both));
            assertArrayEquals(rows(f32.forward(new int[][] {{13}}, one))[0], step[0], 1e-5f);
            assertArrayEquals(rows(f32.forward(new int[][] {{318}}, two))[0], step[1], 1e-5f);
        }
    }

    private void assertGreedy(Gpt2Model model, JsonNode entry) {
        int[] continuation = greedy(model, ints(entry.get("prompt")), entry.get("max_new_tokens").asInt());
        assertArrayEquals(ints(entry.get("new_tokens")), continuation, entry.get("name").asText());
    }

    /** nanoGPT's generate() with top_k=1: crop to the last n_positions tokens, rebuild the cache. */
    static int[] greedy(Gpt2Model model, int[] prompt, int newTokens) {
        int window = model.config().nPositions();
        List<Integer> sequence = new ArrayList<>();
        for (int id : prompt) {
            sequence.add(id);
        }
        int[] produced = new int[newTokens];
        try (KvCache cache = model.newCache(1)) {
            int[] pending = prompt.length > window ? Arrays.copyOfRange(prompt, prompt.length - window, prompt.length) : prompt;
            for (int step = 0; step < newTokens; step++) {
                if (cache.remaining() < pending.length) {
                    cache.reset();
                    pending = sequence.subList(sequence.size() - window, sequence.size())
                            .stream().mapToInt(Integer::intValue).toArray();
                }
                int next = argMax(rows(model.forward(new int[][] {pending}, cache))[0]);
                produced[step] = next;
                sequence.add(next);
                pending = new int[] {next};
            }
        }
        return produced;
    }

    /** Logits of a forward step: they belong to the cache. */
    private static float[][] rows(INDArray logits) {
        return logits.toFloatMatrix();
    }

    /** Logits the caller owns (all positions): read, then freed. */
    private static float[][] owned(INDArray logits) {
        float[][] out = logits.toFloatMatrix();
        logits.close();
        return out;
    }

    private static int argMax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double logSumExp(float[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : row) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : row) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    private void assertClose(double expected, double actual, double tolerance, String where) {
        double diff = Math.abs(expected - actual);
        largestLogitDiff = Math.max(largestLogitDiff, diff);
        assertTrue(diff <= tolerance, () -> where + ": expected " + expected + ", got " + actual);
    }
}
