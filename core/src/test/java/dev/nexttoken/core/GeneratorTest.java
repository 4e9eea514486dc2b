package dev.nexttoken.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.model.Fixtures;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.sampling.LogitsProcessor;
import dev.nexttoken.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static dev.nexttoken.core.model.Fixtures.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public API on the fixture model. */
class GeneratorTest {

    private static Generator gen;
    private static final int WINDOW = 32;

    @BeforeAll
    static void load() {
        gen = Generator.load(Fixtures.modelDir("tiny"));
    }

    @AfterAll
    static void close() {
        gen.close();
    }

    private static GenerationOptions.Builder sampled(int tokens) {
        return GenerationOptions.builder().maxNewTokens(tokens).temperature(1.0).topK(0);
    }

    @Test
    void greedyGenerationEqualsTheReferenceContinuations() {
        for (JsonNode entry : Fixtures.expected().get("greedy")) {
            GenerationOptions options = GenerationOptions.greedy().toBuilder()
                    .maxNewTokens(entry.get("max_new_tokens").asInt()).stopAtEndOfText(false).build();
            GenerationResult result = gen.generate(ints(entry.get("prompt")), options, null);
            assertArrayEquals(ints(entry.get("new_tokens")), result.samples().get(0).tokens(), entry.get("name").asText());
            assertEquals(FinishReason.LENGTH, result.samples().get(0).finishReason());
        }
        for (JsonNode entry : Fixtures.expected().get("text_prompts")) {
            GenerationOptions options = GenerationOptions.greedy().toBuilder()
                    .maxNewTokens(entry.get("max_new_tokens").asInt()).build();
            GenerationResult result = gen.generate(entry.get("text").asText(), options);
            assertArrayEquals(ints(entry.get("prompt_ids")), result.promptTokens());
            assertArrayEquals(ints(entry.get("new_tokens")), result.samples().get(0).tokens());
            assertEquals(entry.get("continuation_text").asText(), result.text());
        }
    }

    @Test
    void sameSeedSameTextDifferentSeedDifferentText() {
        GenerationOptions a = sampled(30).seed(7).build();
        String first = gen.generate("Once upon a time", a).text();
        assertEquals(first, gen.generate("Once upon a time", a).text());
        assertNotEquals(first, gen.generate("Once upon a time", a.toBuilder().seed(8).build()).text());
    }

    @Test
    void sampleZeroOfABatchEqualsTheSingleRun() {
        GenerationOptions single = sampled(25).seed(42).build();
        GenerationResult batch = gen.generate("The cat", single.toBuilder().numSamples(4).build());
        GenerationResult alone = gen.generate("The cat", single);
        assertEquals(4, batch.samples().size());
        assertArrayEquals(alone.samples().get(0).tokens(), batch.samples().get(0).tokens());
        assertNotEquals(batch.samples().get(0).text(), batch.samples().get(1).text());
    }

    @Test
    void stopStringsEndSamplesIndependently() {
        GenerationOptions plain = sampled(20).seed(3).numSamples(3).build();
        GenerationResult free = gen.generate("Hello", plain);
        String text0 = free.samples().get(0).text();
        String stop = text0.substring(8, 12);
        GenerationResult stopped = gen.generate("Hello", plain.toBuilder().addStopString(stop).build());
        Sample s0 = stopped.samples().get(0);
        assertEquals(FinishReason.STOP, s0.finishReason());
        assertEquals(text0.substring(0, text0.indexOf(stop)), s0.text());
        for (int i = 1; i < 3; i++) {
            Sample other = free.samples().get(i);
            Sample now = stopped.samples().get(i);
            if (!other.text().contains(stop)) {
                assertEquals(other.text(), now.text(), "sample " + i + " goes on");
                assertEquals(FinishReason.LENGTH, now.finishReason());
            }
        }
    }

    @Test
    void endOfTextEndsOneSampleWhileTheOthersGoOn() {
        int eot = gen.tokenizer().endOfTextId();
        LogitsProcessor endRowOneAtStepThree = (context, logits) -> {
            if (context.step() == 3) {
                logits.putScalar(1, eot, 1e4);
            }
        };
        GenerationResult result = gen.generate("Hi", sampled(10).numSamples(3).addProcessor(endRowOneAtStepThree).build());
        assertEquals(FinishReason.EOS, result.samples().get(1).finishReason());
        assertEquals(3, result.samples().get(1).tokens().length);
        assertEquals(FinishReason.LENGTH, result.samples().get(0).finishReason());
        assertEquals(10, result.samples().get(0).tokens().length);
        assertEquals(10, result.samples().get(2).tokens().length);
    }

    @Test
    void aCustomProcessorThatBansATokenChangesTheOutput() {
        GenerationOptions greedy = GenerationOptions.greedy().toBuilder().maxNewTokens(15).build();
        int[] free = gen.generate("Hello, my name is", greedy).samples().get(0).tokens();
        int banned = free[0];
        LogitsProcessor ban = (context, logits) -> logits.getColumn(banned).assign(Double.NEGATIVE_INFINITY);
        int[] after = gen.generate("Hello, my name is", greedy.toBuilder().addProcessor(ban).build()).samples().get(0).tokens();
        assertNotEquals(free[0], after[0]);
        assertEquals(15, after.length);
        assertFalse(IntStream.of(after).anyMatch(id -> id == banned));
    }

    @Test
    void promptsAndGenerationsLongerThanTheWindowSlideAsNanoGptDoes() {
        int[] prompt = IntStream.range(0, 3 * WINDOW).map(i -> 100 + 37 * i % 5000).toArray();
        GenerationOptions options = GenerationOptions.greedy().toBuilder().maxNewTokens(2 * WINDOW).stopAtEndOfText(false).build();
        int[] produced = gen.generate(prompt, options, null).samples().get(0).tokens();
        assertArrayEquals(referenceGreedy(gen.model(), prompt, 2 * WINDOW), produced);
        GenerationResult sampledLong = gen.generate(prompt, sampled(2 * WINDOW).numSamples(2).stopAtEndOfText(false).build(), null);
        assertEquals(2 * WINDOW, sampledLong.samples().get(1).tokens().length);
    }

    @Test
    void streamedTextConcatenatesToTheFinalText() {
        GenerationOptions options = sampled(40).numSamples(2).seed(11).build();
        StringBuilder[] pieces = {new StringBuilder(), new StringBuilder()};
        GenerationResult result = gen.generate("日本語のテキスト 👨‍👩‍👧", options, new GenerationListener() {
            @Override
            public void onToken(int sample, int tokenId, String text) {
                pieces[sample].append(text);
            }

            @Override
            public void onFinish(int sample, FinishReason reason, String remainingText) {
                pieces[sample].append(remainingText);
            }
        });
        for (int i = 0; i < 2; i++) {
            assertEquals(result.samples().get(i).text(), pieces[i].toString());
            assertEquals(gen.tokenizer().decode(result.samples().get(i).tokens()), result.samples().get(i).text());
        }
        StringBuilder pulled = new StringBuilder();
        try (TokenStream stream = gen.stream("日本語のテキスト 👨‍👩‍👧", options.toBuilder().numSamples(1).build())) {
            stream.forEachRemaining(t -> pulled.append(t.text()));
        }
        assertEquals(result.samples().get(0).text(), pulled.toString());
    }

    @Test
    void aStreamCanBeCancelledMidWay() {
        try (TokenStream stream = gen.stream("Hello", sampled(100).build())) {
            for (int i = 0; i < 5; i++) {
                stream.next();
            }
            stream.cancel();
            assertFalse(stream.hasNext());
            Sample sample = stream.result().samples().get(0);
            assertEquals(FinishReason.CANCELLED, sample.finishReason());
            assertEquals(5, sample.tokens().length);
        }
    }

    @Test
    void theNextTokenTableIsTheDistributionGenerateSamplesFrom() {
        GenerationOptions options = GenerationOptions.builder().temperature(0.7).topK(50).seed(5).maxNewTokens(1).build();
        NextTokenTable table = gen.next("The capital of France is", options, 10);
        assertEquals(10, table.candidates().size());
        double sum = table.candidates().stream().mapToDouble(TraceCandidate::probability).sum();
        assertTrue(sum > 0 && sum <= 1 + 1e-6);
        for (int i = 1; i < 10; i++) {
            assertTrue(table.candidates().get(i - 1).probability() >= table.candidates().get(i).probability());
        }
        TraceCandidate top = table.candidates().get(0);
        assertEquals(top.rawLogit() / 0.7, top.processedLogit(), 1e-4);
        int first = gen.generate("The capital of France is", options).samples().get(0).tokens()[0];
        assertEquals(first, table.chosenId());
    }

    @Test
    void traceRecordsEveryStep() {
        GenerationResult result = gen.generate("Hi", sampled(6).numSamples(2).trace(5).build());
        assertEquals(12, result.trace().size());
        for (TraceStep step : result.trace()) {
            assertEquals(5, step.candidates().size());
            assertEquals(result.samples().get(step.sample()).tokens()[step.step()], step.chosenId());
        }
    }

    @Test
    void generateFromIdsWithoutAListenerEqualsTheCallWithOne() {
        GenerationOptions options = GenerationOptions.builder().maxNewTokens(8).seed(9).numSamples(2).build();
        int[] prompt = gen.tokenizer().encode("The cat");

        GenerationResult plain = gen.generate(prompt, options);
        GenerationResult withListener = gen.generate(prompt, options, (sample, id, text) -> { });

        assertEquals(withListener.samples(), plain.samples());
        assertArrayEquals(prompt, plain.promptTokens());
        assertEquals(8, plain.samples().get(0).tokens().length);
    }

    @Test
    void tokensSelectedByTheirTextCanBeBanned() {
        Tokenizer tokenizer = gen.tokenizer();
        int[] digits = tokenizer.tokensWhere(text -> text.chars().anyMatch(Character::isDigit));
        GenerationOptions free = GenerationOptions.builder().temperature(1.5).topK(0).maxNewTokens(25)
                .numSamples(4).seed(3).build();
        GenerationOptions banned = free.toBuilder().banTokens(digits).build();

        // without the ban this run does produce digits, so the ban below is what removes them
        assertTrue(free.sampling().bannedTokens().isEmpty());
        assertTrue(gen.generate("In 1999", free).samples().stream()
                .anyMatch(s -> IntStream.of(s.tokens()).anyMatch(id -> Arrays.binarySearch(digits, id) >= 0)));
        for (Sample sample : gen.generate("In 1999", banned).samples()) {
            assertEquals(25, sample.tokens().length);
            for (int id : sample.tokens()) {
                assertTrue(Arrays.binarySearch(digits, id) < 0, id + " " + tokenizer.piece(id));
            }
            assertTrue(sample.text().chars().noneMatch(c -> c >= '0' && c <= '9'), sample.text());
        }
    }

    @Test
    void minTokensToKeepLeavesThatManyCandidates() {
        GenerationOptions.Builder builder = GenerationOptions.builder().temperature(1.0).topK(1);

        assertEquals(1, finiteCandidates(gen.next("Hello", builder.build(), 10)));
        assertEquals(4, finiteCandidates(gen.next("Hello", builder.minTokensToKeep(4).build(), 10)));
        assertEquals(4, builder.build().sampling().minTokensToKeep());
        assertEquals(4, finiteCandidates(gen.next("Hello",
                GenerationOptions.builder().temperature(1.0).topK(0).minP(1.0).minTokensToKeep(4).build(), 10)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationOptions.builder().minTokensToKeep(0));
        assertTrue(e.getMessage().startsWith("min_tokens_to_keep must be >= 1"), e.getMessage());
    }

    private static long finiteCandidates(NextTokenTable table) {
        return table.candidates().stream().filter(c -> c.probability() > 0).count();
    }

    @Test
    void scoreEqualsNanoGptsLoss() {
        JsonNode entry = Fixtures.expected().get("loss").get(0);
        int[] tokens = ints(entry.get("tokens"));
        int[] targets = ints(entry.get("targets"));
        int[] text = Arrays.copyOf(tokens, tokens.length + 1);
        text[tokens.length] = targets[targets.length - 1];
        ScoreResult score = gen.score(text);
        assertEquals(entry.get("loss").asDouble(), score.loss(), 1e-5);
        assertEquals(tokens.length, score.tokenLosses().length);
        assertEquals(Math.exp(score.loss()), score.perplexity(), 1e-9);
        assertEquals(3 * WINDOW, gen.score(IntStream.range(0, 3 * WINDOW + 1).toArray()).tokenLosses().length);
    }

    @Test
    void anEmptyPromptStartsFromEndOfText() {
        GenerationResult result = gen.generate("", sampled(5).build());
        assertArrayEquals(new int[] {Tokenizer.gpt2().endOfTextId()}, result.promptTokens());
        assertEquals(5, result.samples().get(0).tokens().length);
    }

    @Test
    void badInputFailsClearly() {
        GenerationOptions options = sampled(3).build();
        var outside = assertThrows(IllegalArgumentException.class, () -> gen.generate(new int[] {1, 60000}, options, null));
        assertTrue(outside.getMessage().contains("60000"), outside.getMessage());
        var huge = assertThrows(NextTokenException.class,
                () -> MemoryBudget.check(dev.nexttoken.core.model.Gpt2Config.preset("gpt2-xl"), 4096, 1024, false));
        assertTrue(huge.getMessage().contains("4096 samples"), huge.getMessage());
        long heapSamples = Runtime.getRuntime().maxMemory() / (2L * 12 * 1024 * 768 * 4) + 1;   // GPT-2 small: 75 MB each
        var heap = assertThrows(NextTokenException.class, () -> MemoryBudget.check(
                dev.nexttoken.core.model.Gpt2Config.preset("gpt2"), (int) heapSamples, 1024, true));
        assertTrue(heap.getMessage().contains("-Xmx"), heap.getMessage());
        MemoryBudget.check(dev.nexttoken.core.model.Gpt2Config.preset("gpt2"), 1, 1024, true);
        GenerationResult many = gen.generate("x", GenerationOptions.builder().maxNewTokens(3).numSamples(64).build());
        assertEquals(64, many.samples().size());
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.builder().maxNewTokens(-1));
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.builder().numSamples(0));
    }

    @Test
    void eightThreadsGetWhatEachWouldGetAlone() throws Exception {
        List<GenerationOptions> options = new ArrayList<>();
        List<String> alone = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            GenerationOptions o = sampled(20).seed(100 + i).numSamples(1 + i % 3).build();
            options.add(o);
            alone.add(gen.generate("Thread " + i, o).samples().toString());
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                futures.add(pool.submit(() -> gen.generate("Thread " + n, options.get(n)).samples().toString()));
            }
            for (int i = 0; i < 8; i++) {
                assertEquals(alone.get(i), futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** nanoGPT's generate(top_k=1) spelled out: a full forward of the last n_positions tokens per step. */
    private static int[] referenceGreedy(Gpt2Model model, int[] prompt, int steps) {
        int[] sequence = Arrays.copyOf(prompt, prompt.length + steps);
        for (int s = 0; s < steps; s++) {
            int length = prompt.length + s;
            int[] window = Arrays.copyOfRange(sequence, Math.max(0, length - WINDOW), length);
            try (INDArray logits = model.forwardAllPositions(new int[][] {window})) {
                sequence[length] = logits.getRow(window.length - 1).argMax().getInt(0);
            }
        }
        return Arrays.copyOfRange(sequence, prompt.length, sequence.length);
    }
}
