package dev.nexttoken.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.model.ComputePath;
import dev.nexttoken.core.model.Fixtures;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class TrainerTest {

    @TempDir
    Path tmp;

    static Gpt2Weights tinyFixture() {
        return Gpt2Weights.load(Fixtures.modelDir("tiny"), Gpt2Weights.LoadOptions.defaults());
    }

    /** Tokens with structure to learn: a repeated pseudo-random phrase of 40 ids below 300. */
    static DataSplit repetitiveData() {
        Random random = new Random(9);
        int[] phrase = new int[40];
        for (int i = 0; i < phrase.length; i++) {
            phrase[i] = random.nextInt(300);
        }
        int[] tokens = new int[4000];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = phrase[i % phrase.length];
        }
        return DataSplit.of(TokenData.of(tokens), 0.1);
    }

    static TrainOptions smallOptions(long steps) {
        return TrainOptions.builder().batchSize(2).blockSize(16).maxSteps(steps).learningRate(3e-3)
                .warmupSteps(2).evalInterval(1000).evalBatches(2).seed(5).build();
    }

    @Test
    void aFewStepsOnTheTinyFixtureLowerItsLossOnAFixedBatch() {
        TrainableGpt2 model;
        try (Gpt2Weights weights = tinyFixture()) {
            model = TrainableGpt2.of(weights);
        }
        int[][] inputs = TrainableGpt2Test.randomTokens(2, 16, 1000, 1);
        int[][] targets = TrainableGpt2Test.randomTokens(2, 16, 1000, 2);
        AdamW adam = new AdamW(0.9, 0.95, 1e-8, 0.1);
        double initial = model.loss(inputs, targets);
        double previous = initial;
        for (int i = 0; i < 5; i++) {
            double loss = model.lossAndGradients(inputs, targets);
            assertEquals(previous, loss, 1e-9 + 1e-6 * loss, "the loss before step " + i);
            model.clipGradients(1.0);
            adam.step(model.parameters(), model.gradients(), 1e-3);
            previous = model.loss(inputs, targets);
            assertTrue(previous < loss, "step " + i + ": " + loss + " -> " + previous);
        }
        assertTrue(previous < initial - 0.5, initial + " -> " + previous);
    }

    @Test
    void runLearnsRepetitiveDataAndEvaluatesBothSplits() {
        List<StepResult> steps = new ArrayList<>();
        List<Evaluation> evaluations = new ArrayList<>();
        TrainingResult result;
        try (Gpt2Weights weights = tinyFixture()) {
            Trainer trainer = Trainer.start(weights, smallOptions(30).toBuilder().evalInterval(15).build(),
                    repetitiveData());
            result = trainer.run(null, Dtype.F32, new TrainingListener() {
                @Override
                public void onStep(StepResult r) {
                    steps.add(r);
                }

                @Override
                public void onEvaluation(Evaluation e) {
                    evaluations.add(e);
                }
            });
        }
        assertEquals(30, result.steps());
        assertEquals(30 * 32, result.tokens());
        assertEquals(30, steps.size());
        assertEquals(List.of(15L, 30L), evaluations.stream().map(Evaluation::step).toList());
        assertEquals(1.5e-3, steps.get(0).learningRate(), 1e-12);         // warm-up: (0 + 1) / 2 of the peak
        assertTrue(steps.get(29).loss() < steps.get(0).loss() - 2, steps.get(0).loss() + " -> " + steps.get(29).loss());
        Evaluation last = result.evaluation();
        assertTrue(last.validationLoss() < evaluations.get(0).validationLoss(), evaluations.toString());
        assertTrue(last.trainLoss() < steps.get(0).loss() - 3, steps.get(0).loss() + " -> " + last);
    }

    @Test
    void checkpointRoundTripsToIdenticalLogitsInF32AndCloseOnesInF16() {
        Path f32 = tmp.resolve("f32");
        Path f16 = tmp.resolve("f16");
        Trainer trainer;
        try (Gpt2Weights weights = tinyFixture()) {
            trainer = Trainer.start(weights, smallOptions(3), repetitiveData());
        }
        for (int i = 0; i < 3; i++) {
            trainer.step();
        }
        trainer.save(f32, Dtype.F32);
        trainer.save(f16, Dtype.F16);
        int[][] ids = TrainableGpt2Test.randomTokens(2, 20, 50257, 3);

        INDArray expected;
        try (Gpt2Model trained = new Gpt2Model(trainer.model().toWeights(), ComputePath.ND4J_OPS)) {
            expected = trained.forwardAllPositions(ids);
        }
        try (Gpt2Model loaded = new Gpt2Model(Gpt2Weights.load(f32), ComputePath.ND4J_OPS)) {
            assertEquals(expected, loaded.forwardAllPositions(ids));                 // bit for bit
        }
        try (Gpt2Model loaded = new Gpt2Model(Gpt2Weights.load(f16), ComputePath.ND4J_OPS)) {
            double scale = expected.amaxNumber().doubleValue();
            double difference = loaded.forwardAllPositions(ids).sub(expected).amaxNumber().doubleValue();
            // F16 keeps 11 significant bits: each weight moves by at most 2^-12 of itself. Through
            // two blocks that shifts a logit by a few parts in a thousand of the logits' scale.
            assertTrue(difference < 5e-3 * scale, "max |Δlogit| " + difference + " for max |logit| " + scale);
            assertTrue(difference > 0, "F16 rounds something");
        }
        assertTrue(Files.isRegularFile(f32.resolve("config.json")));
        assertTrue(Files.isRegularFile(f16.resolve("training/step-3/optimizer.safetensors")));
    }

    /** Two steps, checkpoint, resume, two steps: the same weights as four steps straight (F16 file: exact master copy). */
    @Test
    void resumeContinuesExactlyAsAnUninterruptedRun() {
        DataSplit data = repetitiveData();
        TrainOptions options = smallOptions(4);
        Trainer straight;
        Trainer interrupted;
        try (Gpt2Weights a = tinyFixture(); Gpt2Weights b = tinyFixture()) {
            straight = Trainer.start(a, options, data);
            interrupted = Trainer.start(b, options, data);
        }
        for (int i = 0; i < 4; i++) {
            straight.step();
        }
        interrupted.step();
        interrupted.step();
        Path dir = tmp.resolve("checkpoint");
        interrupted.save(dir, Dtype.F16);
        Trainer resumed = Trainer.resume(dir, options, data);
        assertEquals(2, resumed.stepsDone());
        StepResult third = resumed.step();
        assertEquals(options.schedule().rate(2), third.learningRate(), 0);
        resumed.step();
        for (Map.Entry<String, INDArray> entry : straight.model().parameters().entrySet()) {
            INDArray other = resumed.model().parameters().get(entry.getKey());
            assertTrue(entry.getValue().equalsWithEps(other, 1e-7), entry.getKey());
        }
    }

    @Test
    void resumeFromAPlainModelFolderIsRefusedWithAHint() {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> Trainer.resume(Fixtures.modelDir("tiny"), smallOptions(1), repetitiveData()));
        assertTrue(e.getMessage().contains("not a training checkpoint"), e.getMessage());
    }

    @Test
    void blockSizeBeyondTheContextIsRefused() {
        try (Gpt2Weights weights = Gpt2Weights.random(new Gpt2Config(1, 1, 8, 8, 300, 1e-5), 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.start(weights, smallOptions(1), repetitiveData()));
            assertEquals("block size 16 is larger than the model's n_positions=8", e.getMessage());
        }
    }
}
