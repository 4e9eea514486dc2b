package dev.nexttoken.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class OptimizerAndScheduleTest {

    @Test
    void scheduleWarmsUpLinearlyThenDecaysByCosineToTheMinimum() {
        LearningRateSchedule s = new LearningRateSchedule(3e-3, 3e-4, 100, 1000);
        assertEquals(3e-5, s.rate(0), 1e-15);                   // (0 + 1) / 100 of the peak
        assertEquals(1.5e-3, s.rate(49), 1e-15);
        assertEquals(3e-3, s.rate(99), 1e-15);                  // last warm-up step: the peak
        assertEquals(3e-3, s.rate(100), 1e-15);                 // cosine starts at the peak
        assertEquals(3e-4 + 0.5 * (3e-3 - 3e-4), s.rate(550), 1e-15);   // half-way: the mean
        assertEquals(3e-4 + 0.5 * (1 + Math.cos(Math.PI * 0.25)) * 2.7e-3, s.rate(325), 1e-15);
        assertEquals(3e-4, s.rate(1000), 1e-15);                // end
        assertEquals(3e-4, s.rate(5000), 1e-15);                // after the end
        for (long step = 100; step < 1000; step++) {
            assertTrue(s.rate(step + 1) <= s.rate(step), "decreasing at " + step);
        }
    }

    @Test
    void scheduleWithoutWarmupStartsAtThePeak() {
        LearningRateSchedule s = new LearningRateSchedule(1e-3, 0, 0, 10);
        assertEquals(1e-3, s.rate(0), 1e-18);
        assertEquals(0, s.rate(10), 1e-18);
        assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(1e-3, 2e-3, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(1e-3, 0, 20, 10));
    }

    @Test
    void optionsBuilderDefaultsFollowThePeakRateAndTheSteps() {
        TrainOptions o = TrainOptions.builder().maxSteps(3000).learningRate(3e-3).build();
        assertEquals(3e-4, o.minLearningRate(), 1e-18);
        assertEquals(100, o.warmupSteps());
        assertEquals(3000, o.decaySteps());
        assertEquals(0.9, o.beta1());
        assertEquals(0.95, o.beta2());
        assertEquals(1.0, o.gradClip());
        assertEquals(20, TrainOptions.builder().maxSteps(200).build().warmupSteps());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainOptions.builder().batchSize(0).build());
        assertEquals("batch size must be positive, got 0", e.getMessage());
    }

    /** One AdamW step against the formula computed by hand, for a matrix (decayed) and a vector (not). */
    @Test
    void adamWStepMatchesTheFormulaAndDecaysOnlyMatrices() {
        double lr = 0.01;
        double wd = 0.1;
        AdamW adam = new AdamW(0.9, 0.95, 1e-8, wd);
        Map<String, INDArray> params = new LinkedHashMap<>();
        params.put("w", Nd4j.create(new double[][] {{1.0, -2.0}, {0.5, 3.0}}));
        params.put("b", Nd4j.create(new double[] {1.0, -2.0}));
        Map<String, INDArray> grads = new LinkedHashMap<>();
        grads.put("w", Nd4j.create(new double[][] {{0.1, 0.2}, {-0.3, 0.0}}));
        grads.put("b", Nd4j.create(new double[] {0.1, 0.2}));

        adam.step(params, grads, lr);

        // step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g| + ε) = ±lr (0 where g = 0)
        double[] w = params.get("w").ravel().toDoubleVector();
        double[] wBefore = {1.0, -2.0, 0.5, 3.0};
        double[] gW = {0.1, 0.2, -0.3, 0.0};
        for (int i = 0; i < 4; i++) {
            double expected = wBefore[i] * (1 - lr * wd) - lr * gW[i] / (Math.abs(gW[i]) + 1e-8);
            assertEquals(expected, w[i], 1e-9, "w[" + i + "]");
        }
        double[] b = params.get("b").toDoubleVector();
        assertEquals(1.0 - lr * 0.1 / (0.1 + 1e-8), b[0], 1e-12);      // no decay on the vector
        assertEquals(-2.0 - lr * 0.2 / (0.2 + 1e-8), b[1], 1e-12);

        // step 2 with gradient 0: moments decay, bias corrections of t = 2
        grads.get("b").assign(0);
        grads.get("w").assign(0);
        double before = params.get("b").getDouble(0);
        adam.step(params, grads, lr);
        double m = 0.9 * 0.1 * 0.1 / (1 - 0.81);                           // (β₁·(1−β₁)·g) / (1 − β₁²)
        double v = 0.95 * 0.05 * 0.01 / (1 - 0.9025);
        assertEquals(before - lr * m / (Math.sqrt(v) + 1e-8), params.get("b").getDouble(0), 1e-12);
        assertEquals(2, adam.steps());
    }

    @Test
    void weightDecayAppliesToMatricesOnlyWhenGradientsAreZero() {
        TrainableGpt2 model = TrainableGpt2Test.perturbedModel(
                new dev.nexttoken.core.model.Gpt2Config(1, 2, 8, 8, 20, 1e-5), 4);
        Map<String, INDArray> before = new LinkedHashMap<>();
        model.parameters().forEach((name, p) -> before.put(name, p.dup()));
        // zero gradients: Adam's update is 0, only the decoupled decay p ← p·(1 − lr·λ) remains
        new AdamW(0.9, 0.95, 1e-8, 0.5).step(model.parameters(), model.gradients(), 0.1);
        int matrices = 0;
        for (Map.Entry<String, INDArray> entry : model.parameters().entrySet()) {
            String name = entry.getKey();
            INDArray expected = before.get(name);
            if (AdamW.decays(entry.getValue())) {
                matrices++;
                assertTrue(name.endsWith(".weight") && !name.contains("ln_"), name + " is a matrix");
                expected = expected.mul(1 - 0.1 * 0.5);
            } else {
                assertFalse(name.startsWith("wte") || name.startsWith("wpe") || name.endsWith("attn.weight"), name);
            }
            assertTrue(expected.equalsWithEps(entry.getValue(), 1e-12), name);
        }
        assertEquals(2 + 4, matrices);              // wte, wpe, c_attn, attn.c_proj, c_fc, mlp.c_proj
    }

    @Test
    void adamWStateRoundTripsThroughRestore() {
        Map<String, INDArray> params = Map.of("w", Nd4j.ones(DataType.FLOAT, 2, 2));
        Map<String, INDArray> grads = Map.of("w", Nd4j.ones(DataType.FLOAT, 2, 2).muli(0.5));
        AdamW first = new AdamW(0.9, 0.95, 1e-8, 0.1);
        first.step(params, grads, 0.1);
        Map<String, INDArray> copy = Map.of("w", params.get("w").dup());
        AdamW second = new AdamW(0.9, 0.95, 1e-8, 0.1);
        second.restore(copy, first.state(), first.steps());
        first.step(params, grads, 0.1);
        second.step(copy, grads, 0.1);
        assertEquals(params.get("w"), copy.get("w"));
    }
}
