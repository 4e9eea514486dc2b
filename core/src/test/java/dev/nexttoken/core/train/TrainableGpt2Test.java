package dev.nexttoken.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nexttoken.core.model.ComputePath;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TrainableGpt2Test {

    /** 2 layers, 2 heads, width 8, 8 positions, vocabulary 50: small enough for finite differences. */
    private static final Gpt2Config TINY = new Gpt2Config(2, 2, 8, 8, 50, 1e-5);

    /**
     * The hand-written backward pass against central finite differences, in float64, for a
     * sample of elements of every kind of tensor. With h = 1e-5 the difference quotient's error
     * is O(h²·f''') + O(ε·L/h), about 1e-9 here; the tolerance 1e-7 + 1e-5·|g| leaves room for
     * that and nothing else: a wrong formula is off by far more.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        TrainableGpt2 model = perturbedModel(TINY, 7);
        model.logitBlockRows = 5;                            // 10 rows: two blocks of the lm_head
        int[][] inputs = {{1, 7, 7, 3, 49}, {0, 2, 11, 11, 5}};
        int[][] targets = {{7, 7, 3, 49, 1}, {2, 11, -1, 5, 7}};   // one ignored target
        model.lossAndGradients(inputs, targets);
        Map<String, INDArray> grads = copies(model.gradients());

        Random random = new Random(3);
        double h = 1e-5;
        int checked = 0;
        for (Map.Entry<String, INDArray> entry : model.parameters().entrySet()) {
            String name = entry.getKey();
            INDArray p = entry.getValue();
            List<Long> indices = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                indices.add((long) random.nextInt((int) p.length()));
            }
            if (name.equals("wte.weight")) {
                indices.add(7L * TINY.nEmbd() + 3);          // a row that is an input and a target
                indices.add(3L * TINY.nEmbd() + 1);
            }
            for (long index : indices) {
                double original = p.getDouble(index);
                p.putScalar(index, original + h);
                double plus = model.loss(inputs, targets);
                p.putScalar(index, original - h);
                double minus = model.loss(inputs, targets);
                p.putScalar(index, original);
                double numeric = (plus - minus) / (2 * h);
                double analytic = grads.get(name).getDouble(index);
                assertEquals(numeric, analytic, 1e-7 + 1e-5 * Math.abs(numeric),
                        name + "[" + index + "]: numeric " + numeric + ", analytic " + analytic);
                checked++;
            }
        }
        assertTrue(checked >= 4 * (2 + 12 * 2 + 2), "checked " + checked);
    }

    @Test
    void gradientsAreOverwrittenNotAccumulated() {
        TrainableGpt2 model = perturbedModel(TINY, 1);
        int[][] inputs = {{1, 2, 3}};
        int[][] targets = {{2, 3, 4}};
        model.lossAndGradients(inputs, targets);
        double first = model.gradientNorm();
        model.lossAndGradients(inputs, targets);
        assertEquals(first, model.gradientNorm(), 1e-12);
    }

    /** The training forward computes Gpt2Model's function: same loss on the same weights and batch. */
    @Test
    void lossEqualsGpt2ModelLoss() {
        Gpt2Config config = new Gpt2Config(2, 4, 32, 16, 1000, 1e-5);
        int[][] inputs = randomTokens(3, 16, config.vocabSize(), 11);
        int[][] targets = randomTokens(3, 16, config.vocabSize(), 12);
        targets[1][4] = -1;
        for (ComputePath path : List.of(ComputePath.ND4J_OPS, ComputePath.AUTO)) {
            try (Gpt2Weights weights = Gpt2Weights.random(config, 5);
                 Gpt2Model reference = new Gpt2Model(Gpt2Weights.random(config, 5), path)) {
                TrainableGpt2 model = TrainableGpt2.of(weights);
                double expected = reference.loss(inputs, targets).loss();
                assertEquals(expected, model.loss(inputs, targets), 1e-4, path.toString());
                assertEquals(expected, model.lossAndGradients(inputs, targets), 1e-4, path.toString());
            }
        }
    }

    /**
     * Logits scaled up until most target probabilities underflow float32 (losses of hundreds of
     * nats): the loss still equals Gpt2Model's log-softmax loss, to float precision.
     */
    @Test
    void lossStaysExactWhenProbabilitiesUnderflow() {
        Gpt2Config config = new Gpt2Config(1, 2, 16, 8, 200, 1e-5);
        int[][] inputs = randomTokens(2, 8, 200, 1);
        int[][] targets = randomTokens(2, 8, 200, 2);
        try (Gpt2Weights weights = Gpt2Weights.random(config, 3);
             Gpt2Weights copy = Gpt2Weights.random(config, 3)) {
            weights.lnFGamma().assign(3000);
            copy.lnFGamma().assign(3000);
            double trained = TrainableGpt2.of(weights).lossAndGradients(inputs, targets);
            try (Gpt2Model reference = new Gpt2Model(copy, ComputePath.ND4J_OPS)) {
                double expected = reference.loss(inputs, targets).loss();
                assertTrue(expected > 100, "loss " + expected + " means probabilities far below 1e-30");
                assertEquals(expected, trained, 1e-5 * expected);
            }
        }
    }

    @Test
    void clippingScalesTheGlobalNormDown() {
        TrainableGpt2 model = perturbedModel(TINY, 2);
        model.lossAndGradients(new int[][] {{1, 2, 3, 4}}, new int[][] {{2, 3, 4, 5}});
        double norm = model.gradientNorm();
        double before = model.clipGradients(norm / 4);
        assertEquals(norm, before, 1e-12);
        assertEquals(norm / 4, model.gradientNorm(), 1e-6 * norm);
        double unchanged = model.clipGradients(norm);              // already below: no change
        assertEquals(norm / 4, unchanged, 1e-6 * norm);
        assertEquals(norm / 4, model.gradientNorm(), 1e-6 * norm);
    }

    @Test
    void rejectsBadBatches() {
        TrainableGpt2 model = perturbedModel(TINY, 2);
        assertThrows(IllegalArgumentException.class, () -> model.loss(new int[][] {{50}}, new int[][] {{1}}));
        assertThrows(IllegalArgumentException.class, () -> model.loss(new int[][] {{1}}, new int[][] {{-1}}));
        assertThrows(IllegalArgumentException.class,
                () -> model.loss(new int[][] {new int[9]}, new int[][] {new int[9]}));
    }

    /**
     * The float32 path (the Vector API softmax and GELU kernels, all cores) against the float64
     * path that the finite differences check (Nd4j's ops): the same loss and gradients up to
     * float32 rounding, at a width (GELU rows of 4 × 64) and vocabulary (rows of 300) that make
     * the kernels split their work.
     */
    @Test
    void float32KernelsMatchTheCheckedFloat64Path() {
        Gpt2Config config = new Gpt2Config(2, 2, 64, 16, 300, 1e-5);
        TrainableGpt2 exact = perturbedModel(config, 11);
        TrainableGpt2 fast;
        try (Gpt2Weights weights = exact.toWeights()) {
            fast = TrainableGpt2.of(weights, DataType.FLOAT);
        }
        for (Map.Entry<String, INDArray> e : exact.parameters().entrySet()) {   // the float64 model on float32's values
            e.getValue().assign(fast.parameters().get(e.getKey()));
        }
        int[][] inputs = randomTokens(3, 16, config.vocabSize(), 5);
        int[][] targets = randomTokens(3, 16, config.vocabSize(), 6);
        targets[1][4] = -1;
        double exactLoss = exact.lossAndGradients(inputs, targets);
        double fastLoss = fast.lossAndGradients(inputs, targets);
        assertEquals(exactLoss, fastLoss, 1e-4 * exactLoss);
        for (Map.Entry<String, INDArray> e : exact.gradients().entrySet()) {
            INDArray expected = e.getValue();
            INDArray actual = fast.gradients().get(e.getKey()).castTo(DataType.DOUBLE);
            double scale = expected.norm2Number().doubleValue();
            double error = expected.sub(actual).norm2Number().doubleValue();
            assertTrue(error <= 1e-4 * scale + 1e-9, e.getKey() + ": error " + error + " against norm " + scale);
        }
    }

    /** A float64 model whose every parameter is random (not GPT-2's init), so every gradient is exercised. */
    static TrainableGpt2 perturbedModel(Gpt2Config config, long seed) {
        TrainableGpt2 model;
        try (Gpt2Weights weights = Gpt2Weights.random(config, seed)) {
            model = TrainableGpt2.of(weights, DataType.DOUBLE);
        }
        Nd4j.getRandom().setSeed(seed);
        for (INDArray p : model.parameters().values()) {
            p.addi(Nd4j.randn(DataType.DOUBLE, p.shape()).muli(0.3));
        }
        return model;
    }

    static int[][] randomTokens(int batch, int time, int vocab, long seed) {
        Random random = new Random(seed);
        int[][] out = new int[batch][time];
        for (int[] row : out) {
            for (int t = 0; t < time; t++) {
                row[t] = random.nextInt(vocab);
            }
        }
        return out;
    }

    private static Map<String, INDArray> copies(Map<String, INDArray> arrays) {
        Map<String, INDArray> out = new java.util.LinkedHashMap<>();
        arrays.forEach((name, array) -> out.put(name, array.dup()));
        return out;
    }
}
