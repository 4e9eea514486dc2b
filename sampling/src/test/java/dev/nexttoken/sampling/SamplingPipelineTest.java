package dev.nexttoken.sampling;

import static dev.nexttoken.sampling.Fixtures.NEG_INF;
import static dev.nexttoken.sampling.Fixtures.NOTEBOOK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SamplingPipelineTest {

    private static final int VOCAB = 1000;

    /** Random logits with a GPT-2-like spread. */
    private static float[][] randomLogits(int rows, long seed) {
        Random random = new Random(seed);
        float[][] out = new float[rows][VOCAB];
        for (float[] row : out) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) (random.nextGaussian() * 2.5);
            }
        }
        return out;
    }

    private static List<String> names(SamplingPipeline pipeline) {
        List<String> names = new ArrayList<>();
        for (LogitsProcessor p : pipeline.processors()) {
            names.add(p.getClass().getSimpleName());
        }
        return names;
    }

    @Test
    void builtInsRunInHuggingFaceOrderThenCustomProcessors() {
        LogitsProcessor custom = LogitsProcessor.named("custom", (c, l) -> { });
        // builder calls in a scrambled order: the pipeline order does not depend on it
        SamplingOptions options = SamplingOptions.builder().addProcessor(custom).typicalP(0.9).minP(0.05).topP(0.9)
                .topK(40).temperature(0.7).minNewTokens(2).endOfTextId(999).banTokens(3).logitBias(4, 1.0)
                .noRepeatNgramSize(3).presencePenalty(0.1).repetitionPenalty(1.2).build();
        SamplingPipeline pipeline = SamplingPipeline.of(options);
        assertEquals(List.of("RepetitionPenaltyProcessor", "FrequencyPresencePenaltyProcessor",
                "NoRepeatNGramProcessor", "LogitBiasProcessor", "BannedTokensProcessor", "MinNewTokensProcessor",
                "TemperatureProcessor", "TopKProcessor", "TopPProcessor", "MinPProcessor", "TypicalPProcessor"),
                names(pipeline).subList(0, 11));
        assertSame(custom, pipeline.processors().get(11));
        assertInstanceOf(MultinomialSampler.class, pipeline.sampler());
    }

    @Test
    void nanoGptChain() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.nanoGpt());
        assertEquals("[TemperatureProcessor(temperature=0.8), TopKProcessor(k=200)] -> MultinomialSampler",
                pipeline.describe());
    }

    @Test
    void greedyNeverDividesAndKeepsPenalties() {
        SamplingPipeline pipeline = SamplingPipeline.of(
                SamplingOptions.builder().temperature(0).topK(50).topP(0.5).repetitionPenalty(100).build());
        assertEquals(List.of("RepetitionPenaltyProcessor"), names(pipeline));
        assertInstanceOf(GreedySampler.class, pipeline.sampler());
        // token 5 (logit 9) was seen: 9 / 100 = 0.09, so token 2 (logit 7) wins
        LogitsContext context = Fixtures.history(NOTEBOOK.length, 5);
        int[] ids = pipeline.choose(context, Fixtures.matrix(NOTEBOOK), RandomStreams.create(0));
        assertArrayEquals(new int[] {2}, ids);
    }

    @Test
    void temperatureOneAddsNoProcessor() {
        assertEquals(List.of(), names(SamplingPipeline.of(SamplingOptions.builder().temperature(1).topK(0).build())));
    }

    @Test
    void sameSeedSameIdsAndTheStreamsAdvanceAcrossSteps() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.builder().temperature(1.5).topK(0).build());
        float[][] logits = randomLogits(2, 1);
        LogitsContext context = LogitsContext.empty(2, VOCAB);
        int[][] first = new int[6][];
        int[][] second = new int[6][];
        RandomStreams a = RandomStreams.create(1337);
        RandomStreams b = RandomStreams.create(1337);
        for (int step = 0; step < 6; step++) {
            first[step] = pipeline.choose(context, Fixtures.matrix(logits), a);
            second[step] = pipeline.choose(context, Fixtures.matrix(logits), b);
        }
        assertArrayEquals(first, second);
        assertTrue(Arrays.stream(first).map(Arrays::toString).distinct().count() > 1,
                "every step drew the same ids: " + Arrays.deepToString(first));
        int[] otherSeed = pipeline.choose(context, Fixtures.matrix(logits), RandomStreams.create(1338));
        assertNotEquals(Arrays.toString(first[0]), Arrays.toString(otherSeed));
    }

    @Test
    void rowIOfABatchEqualsABatchOfOneWithSequenceIndexI() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.builder().temperature(1.2).topK(100)
                .topP(0.95).build());
        float[][] logits = randomLogits(4, 2);
        RandomStreams batched = RandomStreams.create(99);
        RandomStreams[] single = new RandomStreams[4];
        RandomStreams shared = RandomStreams.create(99);
        for (int i = 0; i < 4; i++) {
            single[i] = shared.offset(i);
        }
        for (int step = 0; step < 5; step++) {
            int[] ids = pipeline.choose(LogitsContext.empty(4, VOCAB), Fixtures.matrix(logits), batched);
            for (int i = 0; i < 4; i++) {
                int[] alone = pipeline.choose(LogitsContext.empty(1, VOCAB), Fixtures.matrix(logits[i]), single[i]);
                assertEquals(ids[i], alone[0], "row " + i + ", step " + step);
            }
        }
    }

    @Test
    void chooseProcessesTheLogitsInPlace() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.builder().temperature(0.5).topK(2).build());
        INDArray logits = Fixtures.matrix(NOTEBOOK);
        int[] ids = pipeline.choose(LogitsContext.empty(1, 6), logits, RandomStreams.create(3));
        assertArrayEquals(new float[] {NEG_INF, NEG_INF, 14f, NEG_INF, NEG_INF, 18f}, Fixtures.values(logits)[0]);
        assertTrue(ids[0] == 2 || ids[0] == 5);
    }

    @Test
    void worksOnAViewOfALargerArray() {
        float[][] rows = randomLogits(4, 3);
        INDArray all = Fixtures.matrix(rows);
        INDArray middle = all.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all());
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.builder().temperature(1).topK(1).build());
        int[] ids = pipeline.choose(LogitsContext.empty(2, VOCAB), middle, RandomStreams.create(0));
        for (int r = 0; r < 2; r++) {
            assertEquals(new GreedySampler().sample(rows[r + 1], null), ids[r]);
        }
        float[][] after = Fixtures.values(all);
        assertArrayEquals(rows[0], after[0]);
        assertArrayEquals(rows[3], after[3]);
        assertEquals(1, Fixtures.kept(after[1]).size());
    }

    @Test
    void inspectionGivesTheNotebookTable() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.builder().temperature(1).topK(0).build());
        Inspection inspection = pipeline.inspect(LogitsContext.empty(1, 6), Fixtures.matrix(NOTEBOOK),
                RandomStreams.create(1337), 6).get(0);
        List<Candidate> c = inspection.candidates();
        assertEquals(List.of(5, 2, 0, 1, 3, 4), c.stream().map(Candidate::id).toList());
        assertEquals(9f, c.get(0).rawLogit());
        assertEquals(9f, c.get(0).processedLogit());
        assertEquals(8.43049007e-01, c.get(0).probability(), 1e-9);
        assertEquals(3.49017038e-08, c.get(5).probability(), 1e-15);
        assertEquals(inspection.chosenId(), inspection.chosen().id());
    }

    @Test
    void inspectionShowsRemovedTokensLastAndTheChosenOneAlways() {
        Sampler lastSurvivor = (logits, random) -> {
            int last = -1;
            for (int i = 0; i < logits.length; i++) {
                if (logits[i] > NEG_INF) {
                    last = i;
                }
            }
            return last;
        };
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.builder().temperature(0.5).topK(3)
                .sampler(lastSurvivor).build());
        Inspection inspection = pipeline.inspect(LogitsContext.empty(1, 6), Fixtures.matrix(NOTEBOOK),
                RandomStreams.create(0), 5).get(0);
        List<Candidate> c = inspection.candidates();
        assertEquals(List.of(5, 2, 0, 1, 3), c.stream().map(Candidate::id).toList());
        assertEquals(18f, c.get(0).processedLogit());
        assertEquals(NEG_INF, c.get(3).processedLogit());
        assertEquals(0.0, c.get(3).probability());
        assertEquals(2f, c.get(3).rawLogit());
        assertEquals(5, inspection.chosenId()); // the last surviving id
        Inspection narrow = pipeline.inspect(LogitsContext.empty(1, 6), Fixtures.matrix(NOTEBOOK),
                RandomStreams.create(0), 1).get(0);
        assertEquals(1, narrow.candidates().size());
        assertEquals(new Candidate(5, 9f, 18f, narrow.chosen().probability()), narrow.chosen());
    }

    @Test
    void inspectDrawsTheSameNumbersAsChoose() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.builder().temperature(2).build());
        float[][] logits = randomLogits(3, 4);
        RandomStreams a = RandomStreams.create(5);
        RandomStreams b = RandomStreams.create(5);
        for (int step = 0; step < 4; step++) {
            int[] chosen = pipeline.choose(LogitsContext.empty(3, VOCAB), Fixtures.matrix(logits), a);
            List<Inspection> inspected = pipeline.inspect(LogitsContext.empty(3, VOCAB), Fixtures.matrix(logits), b, 3);
            for (int r = 0; r < 3; r++) {
                assertEquals(chosen[r], inspected.get(r).chosenId());
            }
        }
    }

    @Test
    void customNd4jProcessorSeesAndFeedsTheRowProcessors() {
        List<Float> seen = new ArrayList<>();
        LogitsProcessor boostFirst = (context, logits) -> {
            seen.add(logits.getFloat(0, 0));
            logits.getColumn(0).addi(100);
        };
        SamplingPipeline pipeline = SamplingPipeline.of(List.of(new TemperatureProcessor(0.5), boostFirst,
                new TopKProcessor(1)), new GreedySampler());
        INDArray logits = Fixtures.matrix(NOTEBOOK);
        int[] ids = pipeline.choose(LogitsContext.empty(1, 6), logits, RandomStreams.create(0));
        assertEquals(List.of(12f), seen); // after the temperature
        assertArrayEquals(new int[] {0}, ids); // 112 beats 18, and top-k ran after the boost
        assertArrayEquals(new float[] {112f, NEG_INF, NEG_INF, NEG_INF, NEG_INF, NEG_INF}, Fixtures.values(logits)[0]);
    }

    @Test
    void aThrowingProcessorIsNamed() {
        LogitsProcessor broken = (context, logits) -> {
            throw new IllegalStateException("boom");
        };
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.builder().addProcessor(broken).build());
        SamplingException e = assertThrows(SamplingException.class,
                () -> pipeline.choose(LogitsContext.empty(1, 6), Fixtures.matrix(NOTEBOOK), RandomStreams.create(0)));
        assertTrue(e.getMessage().startsWith("logits processor 'lambda in SamplingPipelineTest' (number 3 of the chain"),
                e.getMessage());
        assertTrue(e.getMessage().contains("boom"), e.getMessage());
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void aProcessorThatProducesNaNIsNamed() {
        LogitsProcessor nan = LogitsProcessor.named("divide-by-zero", (context, logits) -> logits.muli(0).divi(0));
        SamplingPipeline pipeline = SamplingPipeline.of(List.of(new TopKProcessor(2), nan), new MultinomialSampler());
        SamplingException e = assertThrows(SamplingException.class,
                () -> pipeline.choose(LogitsContext.empty(1, 6), Fixtures.matrix(NOTEBOOK), RandomStreams.create(0)));
        assertEquals("logits processor 'divide-by-zero' (number 2 of the chain [TopKProcessor(k=2), divide-by-zero])"
                + " produced NaN at row 0, token 0, step 0", e.getMessage());
    }

    @Test
    void aRowProcessorLambdaThatProducesNaNIsNamed() {
        RowLogitsProcessor nan = (context, row, logits) -> logits[3] = Float.NaN;
        SamplingPipeline pipeline = SamplingPipeline.of(List.of(nan), new GreedySampler());
        SamplingException e = assertThrows(SamplingException.class,
                () -> pipeline.choose(LogitsContext.empty(1, 6), Fixtures.matrix(NOTEBOOK), RandomStreams.create(0)));
        assertTrue(e.getMessage().startsWith("logits processor 'lambda in SamplingPipelineTest'"), e.getMessage());
        assertTrue(e.getMessage().contains("token 3"), e.getMessage());
    }

    @Test
    void removingEveryTokenIsAnErrorNamingTheChain() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.builder().banTokens(0, 1, 2, 3, 4, 5).build());
        SamplingException e = assertThrows(SamplingException.class,
                () -> pipeline.choose(LogitsContext.empty(1, 6), Fixtures.matrix(NOTEBOOK), RandomStreams.create(0)));
        assertEquals("every logit of row 0 is -inf after the processor chain [BannedTokensProcessor(tokens=[0, 1, 2,"
                + " 3, 4, 5]), TemperatureProcessor(temperature=0.8), TopKProcessor(k=200)]: the processors removed every"
                + " token, so none can be chosen", e.getMessage());
        assertThrows(SamplingException.class,
                () -> pipeline.probabilities(LogitsContext.empty(1, 6), Fixtures.matrix(NOTEBOOK)));
    }

    @Test
    void nanFromTheModelIsReportedAsSuch() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.nanoGpt());
        SamplingException e = assertThrows(SamplingException.class, () -> pipeline.choose(LogitsContext.empty(2, 2),
                Fixtures.matrix(new float[] {0f, 0f}, new float[] {1f, Float.NaN}), RandomStreams.create(0)));
        assertEquals("the logits given to the sampling pipeline contain NaN (row 1, token 1) before any processor"
                + " ran: the model produced them", e.getMessage());
    }

    /** Issue 15, item 4: +inf from the model used to be sampled as if uniform; -inf from a processor stays fine. */
    @Test
    void infinitiesFromTheModelAreReportedWithTheirPlace() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.nanoGpt());
        for (float infinity : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            NonFiniteLogitsException e = assertThrows(NonFiniteLogitsException.class,
                    () -> pipeline.choose(LogitsContext.empty(2, 3), Fixtures.matrix(new float[] {0f, 1f, 2f},
                            new float[] {1f, 2f, infinity}), RandomStreams.create(0)));
            assertEquals("the logits given to the sampling pipeline contain " + e.valueName() + " (row 1, token 2)"
                    + " before any processor ran: the model produced them", e.getMessage());
            assertEquals(infinity, e.value());
            assertEquals(infinity > 0 ? "+Infinity" : "-Infinity", e.valueName());
        }
        SamplingPipeline banning = SamplingPipeline.of(SamplingOptions.greedy().toBuilder().bannedTokens(List.of(2))
                .build());
        assertArrayEquals(new int[] {1}, banning.choose(LogitsContext.empty(1, 3),
                Fixtures.matrix(new float[] {0f, 1f, 2f}), RandomStreams.create(0)));
    }

    @Test
    void aSamplerThatPicksARemovedTokenIsCaught() {
        SamplingPipeline pipeline = SamplingPipeline.of(List.of(new TopKProcessor(1)),
                LogitsProcessorNamedSampler.ZERO);
        SamplingException e = assertThrows(SamplingException.class,
                () -> pipeline.choose(LogitsContext.empty(1, 6), Fixtures.matrix(NOTEBOOK), RandomStreams.create(0)));
        assertEquals("sampler 'always zero' chose token 0 for row 0, which the processor chain [TopKProcessor(k=1)]"
                + " removed (logit -inf)", e.getMessage());
    }

    /** A sampler with a name that always picks token 0. */
    private static final class LogitsProcessorNamedSampler implements Sampler {
        static final Sampler ZERO = new LogitsProcessorNamedSampler();

        @Override
        public int sample(float[] logits, RandomStream random) {
            return 0;
        }

        @Override
        public String name() {
            return "always zero";
        }
    }

    @Test
    void shapesMustMatchTheContext() {
        SamplingPipeline pipeline = SamplingPipeline.of(SamplingOptions.nanoGpt());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pipeline.choose(LogitsContext.empty(2, 6), Fixtures.matrix(NOTEBOOK), RandomStreams.create(0)));
        assertEquals("logits of shape [1, 6] do not match the context (batch 2, vocabulary 6)", e.getMessage());
    }

    @Test
    void lambdaNamesAreReadable() {
        LogitsProcessor lambda = (context, logits) -> { };
        assertEquals("lambda in SamplingPipelineTest", lambda.name());
        LogitsProcessor anonymous = new LogitsProcessor() {
            @Override
            public void process(LogitsContext context, INDArray logits) {
            }
        };
        assertEquals("anonymous class in SamplingPipelineTest", anonymous.name());
        assertEquals("mine", LogitsProcessor.named("mine", lambda).name());
        assertInstanceOf(RowLogitsProcessor.class, LogitsProcessor.named("t", new TemperatureProcessor(2)));
    }
}
