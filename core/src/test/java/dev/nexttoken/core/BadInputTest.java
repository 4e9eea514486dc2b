package dev.nexttoken.core;

import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.io.SafetensorsFile;
import dev.nexttoken.core.model.Fixtures;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.sampling.LogitsProcessor;
import dev.nexttoken.sampling.RowLogitsProcessor;
import dev.nexttoken.sampling.SamplingException;
import dev.nexttoken.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input through the public API, one clear answer each: the cases of issue 6 that the io,
 * sampling and Generator tests do not cover already. Each failure is an exception of the library's
 * families ({@link ModelLoadException}, {@link NextTokenException}, the sampling module's
 * {@link SamplingException}, or {@link IllegalArgumentException} for an argument) with its
 * message asserted.
 */
class BadInputTest {

    private static final int EOT = 50256;
    /** What the error says when ln_f.bias holds NaN or an infinity. */
    private static final String DAMAGED_LN_F_BIAS = "the weights hold non-finite values (tensor ln_f.bias), so the"
            + " checkpoint is damaged: load an intact copy (Gpt2Weights.LoadOptions.withCheckFinite(true) refuses such"
            + " weights at load)";
    private static Generator gen;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        gen = Generator.load(Fixtures.modelDir("tiny"));
    }

    @AfterAll
    static void close() {
        gen.close();
    }

    private static GenerationOptions.Builder greedy(int tokens) {
        return GenerationOptions.greedy().toBuilder().maxNewTokens(tokens);
    }

    private static <T extends Throwable> void assertMessage(Class<T> type, String message, Executable call) {
        assertEquals(message, assertThrows(type, call).getMessage());
    }

    // ------------------------------------------------------------------------------------------
    // Model folders

    @Test
    void infinityInF32WeightsIsFoundAtLoadWhenChecked() {
        Path model = tinyWith(dir.resolve("inf"), tensors -> tensors.get("wte.weight").putScalar(464, 3, Float.POSITIVE_INFINITY));
        Gpt2Weights.LoadOptions check = Gpt2Weights.LoadOptions.defaults().withCheckFinite(true);
        assertMessage(ModelLoadException.class, model.resolve("model.safetensors") + ": tensor 'wte.weight' holds a"
                + " NaN or infinite value at [464, 3] (and maybe more): the checkpoint is damaged",
                () -> Gpt2Weights.load(model, check));
    }

    @Test
    void nanWeightsLoadedUncheckedStopGenerationWithAMessageNamingTheModel() {
        Path model = tinyWith(dir.resolve("nan"), tensors -> tensors.get("ln_f.bias").putScalar(7, Float.NaN));
        try (Generator broken = Generator.load(model)) {
            String nan = "the model's logits hold NaN (row 0, token 0): " + DAMAGED_LN_F_BIAS;
            assertMessage(NextTokenException.class, nan, () -> broken.generate("The quick brown", greedy(3).build()));
            assertMessage(NextTokenException.class, nan, () -> broken.next("The quick brown", GenerationOptions.defaults(), 5));
            assertMessage(NextTokenException.class, "the loss is NaN: the model's logits hold NaN or infinity: "
                    + DAMAGED_LN_F_BIAS, () -> broken.score("The quick brown fox"));
        }
    }

    /** Issue 15, item 4: +inf in a weight used to make generate and next sample uniformly among infinite logits. */
    @Test
    void infinityInAWeightStopsGenerateNextAndScoreNamingTheTensor() {
        for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            Path model = tinyWith(dir.resolve("inf" + bad), tensors -> tensors.get("ln_f.bias").putScalar(7, bad));
            try (Generator broken = Generator.load(model)) {
                String generate = assertThrows(NextTokenException.class,
                        () -> broken.generate("The quick brown", GenerationOptions.defaults().toBuilder()
                                .maxNewTokens(3).build())).getMessage();
                String next = assertThrows(NextTokenException.class,
                        () -> broken.next("The quick brown", GenerationOptions.defaults(), 5)).getMessage();
                for (String message : new String[] {generate, next}) {
                    assertTrue(message.matches("the model's logits hold [+-]Infinity \\(row 0, token \\d+\\): .*"),
                            message);
                    assertTrue(message.endsWith(DAMAGED_LN_F_BIAS), message);
                }
                assertMessage(NextTokenException.class, "the loss is NaN: the model's logits hold NaN or infinity: "
                        + DAMAGED_LN_F_BIAS, () -> broken.score("The quick brown fox"));
            }
        }
    }

    /** Issue 15, item 4: finite weights whose logits overflow float32 are an error too, explained as such. */
    @Test
    void logitsThatOverflowFromFiniteWeightsAreAnErrorSayingSo() {
        Path model = tinyWith(dir.resolve("overflow"), tensors -> {
            tensors.get("ln_f.bias").assign(1e30f);
            tensors.get("wte.weight").getRow(100).assign(1e30f);       // logit 100 = 64 * 1e60: +inf in float32
        });
        try (Generator broken = Generator.load(model)) {
            assertMessage(NextTokenException.class, "the model's logits hold +Infinity (row 0, token 100): the weights"
                    + " are all finite, so the computation overflowed float32: the weights have extreme magnitudes"
                    + " (was the model trained until it diverged?)",
                    () -> broken.generate("The quick brown", greedy(3).build()));
        }
    }

    /**
     * Issue 15, item 4: a temperature whose division overflows float32 or rounds to 0 is greedy
     * (every temperature below 1e-6 is), so its tokens and its next-token table are greedy's.
     */
    @Test
    void vanishingTemperaturesAreGreedy() {
        int[] greedyTokens = gen.generate("The quick brown", greedy(8).build()).samples().get(0).tokens();
        NextTokenTable greedyTable = gen.next("The quick brown", GenerationOptions.greedy(), 3);
        for (double t : new double[] {1e-38, 1e-39, 1e-45, Double.MIN_VALUE}) {
            GenerationOptions options = GenerationOptions.defaults().toBuilder().temperature(t).maxNewTokens(8).build();
            assertArrayEquals(greedyTokens, gen.generate("The quick brown", options).samples().get(0).tokens(),
                    "temperature " + t);
            NextTokenTable table = gen.next("The quick brown", options, 3);
            assertEquals(greedyTable.chosenId(), table.chosenId(), "temperature " + t);
            assertEquals(greedyTable.candidates(), table.candidates(), "temperature " + t);
        }
    }

    @Test
    void aVocabularyLargerThanTheTokenizersIsRefused() {
        Gpt2Config config = new Gpt2Config(1, 1, 8, 8, 50300, 1e-5);
        Gpt2Model model = new Gpt2Model(Gpt2Weights.random(config, 1));
        assertMessage(ModelLoadException.class, "the model's vocabulary (vocab_size 50300 in its config.json) is larger"
                + " than the GPT-2 tokenizer's (50257): nexttoken needs vocab_size 50257; use a model made for the"
                + " GPT-2 tokenizer (as Hugging Face's gpt2 models and nexttoken train's are), or crop or pad its"
                + " wte.weight to 50257 rows and set vocab_size accordingly",
                () -> new Generator(model, Tokenizer.gpt2()));
        model.close();
    }

    /** Issue 15, item 6: a smaller vocabulary used to load and then fail at every step, deep in sampling. */
    @Test
    void aVocabularySmallerThanTheTokenizersIsRefusedAtLoad() throws IOException {
        Path model = tinyWith(dir.resolve("vocab1000"), tensors -> tensors.put("wte.weight",
                tensors.get("wte.weight").get(NDArrayIndex.interval(0, 1000), NDArrayIndex.all()).dup()));
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"vocab_size\": 50257", "\"vocab_size\": 1000"));
        assertMessage(ModelLoadException.class, "the model's vocabulary (vocab_size 1000 in its config.json) is smaller"
                + " than the GPT-2 tokenizer's (50257): nexttoken needs vocab_size 50257; use a model made for the"
                + " GPT-2 tokenizer (as Hugging Face's gpt2 models and nexttoken train's are), or crop or pad its"
                + " wte.weight to 50257 rows and set vocab_size accordingly", () -> Generator.load(model));
    }

    @Test
    void configJsonWithFarMoreLayersThanTheFileIsRefusedAtOnce() throws IOException {
        Path model = tinyWith(dir.resolve("layers"), tensors -> { });
        String config = Files.readString(model.resolve("config.json"));
        Files.writeString(model.resolve("config.json"), config.replace("\"n_layer\": 2", "\"n_layer\": 3"));
        assertMessage(ModelLoadException.class, model.resolve("model.safetensors") + ": missing tensor"
                + " 'h.2.ln_1.weight' (and 11 more)", () -> Generator.load(model));
        // two billion blocks must not make the loader list 24 billion expected tensor names first
        Files.writeString(model.resolve("config.json"), config.replace("\"n_layer\": 2", "\"n_layer\": 2000000000"));
        ModelLoadException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(ModelLoadException.class, () -> Generator.load(model)));
        assertEquals(model.resolve("model.safetensors") + ": config.json has n_layer=2000000000, but the file holds"
                + " only 28 tensors, not even one per block: the configuration does not belong to these weights",
                e.getMessage());
    }

    // ------------------------------------------------------------------------------------------
    // Options

    @Test
    void invalidOptionsNameTheirValidRange() {
        GenerationOptions.Builder b = GenerationOptions.builder();
        assertMessage(IllegalArgumentException.class, "temperature must be >= 0 and finite (0 = greedy), got NaN",
                () -> b.temperature(Double.NaN));
        assertMessage(IllegalArgumentException.class, "temperature must be >= 0 and finite (0 = greedy), got -0.1",
                () -> b.temperature(-0.1));
        assertMessage(IllegalArgumentException.class, "temperature must be >= 0 and finite (0 = greedy), got Infinity",
                () -> b.temperature(Double.POSITIVE_INFINITY));
        assertMessage(IllegalArgumentException.class, "top_k must be >= 0 (0 = off), got -1", () -> b.topK(-1));
        assertMessage(IllegalArgumentException.class, "top_p must be in (0, 1], got 0.0", () -> b.topP(0));
        assertMessage(IllegalArgumentException.class, "top_p must be in (0, 1], got 1.0000001", () -> b.topP(1.0000001));
        assertMessage(IllegalArgumentException.class, "top_p must be in (0, 1], got NaN", () -> b.topP(Double.NaN));
        assertMessage(IllegalArgumentException.class, "min_p must be in [0, 1], got -0.01", () -> b.minP(-0.01));
        assertMessage(IllegalArgumentException.class, "min_p must be in [0, 1], got 1.5", () -> b.minP(1.5));
        assertMessage(IllegalArgumentException.class, "min_p must be in [0, 1], got NaN", () -> b.minP(Double.NaN));
        assertMessage(IllegalArgumentException.class, "typical_p must be in (0, 1], got -1.0", () -> b.typicalP(-1));
        assertMessage(IllegalArgumentException.class, "max_new_tokens must be >= 0, got -1", () -> b.maxNewTokens(-1));
        assertMessage(IllegalArgumentException.class, "max_new_tokens must be >= 0, got " + Integer.MIN_VALUE,
                () -> b.maxNewTokens(Integer.MIN_VALUE));
        assertMessage(IllegalArgumentException.class, "num_samples must be in [1, 4096], got 0", () -> b.numSamples(0));
        assertMessage(IllegalArgumentException.class, "num_samples must be in [1, 4096], got 4097",
                () -> b.numSamples(GenerationOptions.MAX_SAMPLES + 1));
        assertMessage(IllegalArgumentException.class, "num_samples must be in [1, 4096], got 2147483647",
                () -> b.numSamples(Integer.MAX_VALUE));
        assertMessage(IllegalArgumentException.class, "trace top-N must be in [0, 1000], got -1", () -> b.trace(-1));
        assertMessage(IllegalArgumentException.class, "a stop string must not be empty", () -> b.addStopString(""));
        assertMessage(IllegalArgumentException.class, "repetition_penalty must be > 0 and finite (1 = off), got NaN",
                () -> b.repetitionPenalty(Double.NaN));
        // the builder is unchanged by the refused values
        assertEquals(GenerationOptions.defaults().toString(), b.build().toString());
    }

    @Test
    void sampleCountsThatWouldExhaustMemoryAreRefusedBeforeAnythingIsAllocated() {
        // a model with a long window: 4096 samples x 1,000,000 positions of cache are ~500 GB
        Gpt2Config config = new Gpt2Config(2, 1, 8, 1_000_000, 50257, 1e-5);
        assertTrue(MemoryBudget.estimate(config, GenerationOptions.MAX_SAMPLES, 1_000_000) > 200L << 30);
        try (Generator huge = new Generator(new Gpt2Model(Gpt2Weights.random(config, 3)), Tokenizer.gpt2())) {
            GenerationOptions options = GenerationOptions.builder().numSamples(GenerationOptions.MAX_SAMPLES)
                    .maxNewTokens(Integer.MAX_VALUE).build();
            NextTokenException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> assertThrows(NextTokenException.class, () -> huge.generate("Hello", options)));
            assertTrue(e.getMessage().matches("4096 samples of up to 1000000 positions need about \\d+ MB of buffers,"
                    + " more than half of this machine's memory \\(\\d+ MB\\): ask for fewer samples or fewer tokens"),
                    e.getMessage());
            assertEquals(e.getMessage(), assertThrows(NextTokenException.class, () -> huge.stream("Hello", options)).getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Token ids

    @Test
    void tokenIdsOutsideTheVocabularyAreRefusedByEveryCall() {
        GenerationOptions options = greedy(2).build();
        String negative = "token id -1 is outside the vocabulary [0, 50257)";
        String tooLarge = "token id 50257 is outside the vocabulary [0, 50257)";
        assertMessage(IllegalArgumentException.class, negative, () -> gen.generate(new int[] {464, -1}, options, null));
        assertMessage(IllegalArgumentException.class, tooLarge, () -> gen.stream(new int[] {50257}, options));
        assertMessage(IllegalArgumentException.class, negative, () -> gen.next(new int[] {-1}, options, 5));
        assertMessage(IllegalArgumentException.class, tooLarge, () -> gen.score(new int[] {464, 50257}));
        assertMessage(IllegalArgumentException.class, "token id " + Integer.MIN_VALUE + " is outside the vocabulary"
                + " [0, 50257)", () -> gen.score(new int[] {Integer.MIN_VALUE, 464}));
        assertMessage(IllegalArgumentException.class, "token id -7 is outside the vocabulary [0, 50257)",
                () -> gen.tokenizer().decode(new int[] {1, -7}));
    }

    // ------------------------------------------------------------------------------------------
    // Custom processors and samplers

    @Test
    void aCustomProcessorThatThrowsIsNamedInTheError() {
        LogitsProcessor boom = LogitsProcessor.named("boom", (context, logits) -> {
            if (context.step() == 2) {
                throw new IllegalStateException("no logits today");
            }
        });
        GenerationOptions options = greedy(5).addProcessor(boom).build();
        String message = "logits processor 'boom' (number 1 of the chain [boom]) failed at step 2:"
                + " java.lang.IllegalStateException: no logits today";
        SamplingException e = assertThrows(SamplingException.class, () -> gen.generate("Hello", options));
        assertEquals(message, e.getMessage());
        assertEquals("no logits today", e.getCause().getMessage());
        try (TokenStream stream = gen.stream("Hello", options)) {
            stream.next();
            stream.next();
            assertMessage(SamplingException.class, message, stream::next);
        }
        // the failed calls left nothing behind: the same call without the processor is unchanged
        assertArrayEquals(gen.generate("Hello", greedy(5).build()).samples().get(0).tokens(),
                gen.generate("Hello", greedy(5).addProcessor((context, logits) -> { }).build()).samples().get(0).tokens());
    }

    @Test
    void aCustomProcessorThatReturnsNaNIsNamedInTheError() {
        LogitsProcessor nan = (context, logits) -> {
            if (context.step() == 1) {
                logits.putScalar(0, 42, Float.NaN);
            }
        };
        GenerationOptions options = GenerationOptions.builder().maxNewTokens(4).addProcessor(nan).build();
        assertMessage(SamplingException.class, "logits processor 'lambda in BadInputTest' (number 3 of the chain"
                + " [TemperatureProcessor(temperature=0.8), TopKProcessor(k=200), lambda in BadInputTest]) produced NaN"
                + " at row 0, token 42, step 1", () -> gen.generate("Hello", options));
        RowLogitsProcessor rowNaN = (context, row, logits) -> logits[7] = Float.NaN;
        assertMessage(SamplingException.class, "logits processor 'lambda in BadInputTest' (number 1 of the chain"
                + " [lambda in BadInputTest]) produced NaN at row 0, token 7, step 0",
                () -> gen.next("Hello", GenerationOptions.greedy().toBuilder().addProcessor(rowNaN).build(), 3));
    }

    @Test
    void aCustomSamplerThatFailsIsNamedInTheError() {
        GenerationOptions outside = greedy(3).sampler((logits, random) -> logits.length).build();
        assertMessage(SamplingException.class, "sampler 'lambda in BadInputTest' chose token 50257 for row 0, outside"
                + " the vocabulary [0, 50257)", () -> gen.generate("Hi", outside));
        GenerationOptions throwing = greedy(3).sampler((logits, random) -> {
            throw new ArithmeticException("/ by zero");
        }).build();
        assertMessage(SamplingException.class, "sampler 'lambda in BadInputTest' failed on row 0 after the chain []:"
                + " java.lang.ArithmeticException: / by zero", () -> gen.generate("Hi", throwing));
    }

    @Test
    void processorsThatRemoveEveryTokenOrNameUnknownTokensFailClearly() {
        LogitsProcessor banAll = LogitsProcessor.named("ban-all",
                (context, logits) -> logits.assign(Float.NEGATIVE_INFINITY));
        assertMessage(SamplingException.class, "every logit of row 0 is -inf after the processor chain [ban-all]:"
                + " the processors removed every token, so none can be chosen",
                () -> gen.generate("Hi", greedy(2).addProcessor(banAll).build()));
        assertMessage(SamplingException.class, "BannedTokensProcessor(tokens=[60000]): banned token id 60000 is outside"
                + " the vocabulary (valid ids are 0..50256)", () -> gen.generate("Hi", greedy(2).banTokens(60000).build()));
    }

    // ------------------------------------------------------------------------------------------
    // Empty prompts and small things

    @Test
    void anEmptyPromptStartsFromEndOfTextInEveryCall() {
        GenerationOptions options = greedy(4).build();
        GenerationResult fromText = gen.generate("", options);
        GenerationResult fromIds = gen.generate(new int[0], options, null);
        GenerationResult fromEot = gen.generate(new int[] {EOT}, options, null);
        assertArrayEquals(new int[] {EOT}, fromText.promptTokens());
        assertArrayEquals(new int[] {EOT}, fromIds.promptTokens());
        assertArrayEquals(fromEot.samples().get(0).tokens(), fromText.samples().get(0).tokens());
        assertArrayEquals(fromEot.samples().get(0).tokens(), fromIds.samples().get(0).tokens());
        try (TokenStream stream = gen.stream("", options)) {
            assertEquals(fromEot.samples().get(0).tokens()[0], stream.next().id());
            assertArrayEquals(new int[] {EOT}, stream.result().promptTokens());
        }
        NextTokenTable table = gen.next("", options, 3);
        assertArrayEquals(new int[] {EOT}, table.promptTokens());
        assertEquals(fromEot.samples().get(0).tokens()[0], table.chosenId());
        assertMessage(IllegalArgumentException.class, "scoring needs at least 2 tokens, got 0", () -> gen.score(""));
        assertMessage(IllegalArgumentException.class, "scoring needs at least 2 tokens, got 1", () -> gen.score("Hi"));
    }

    @Test
    void aClosedGeneratorAndANonPositiveTopAreRefused() {
        assertMessage(IllegalArgumentException.class, "top must be >= 1, got 0",
                () -> gen.next("Hi", GenerationOptions.defaults(), 0));
        Generator closed = Generator.load(Fixtures.modelDir("tiny"));
        closed.close();
        closed.close();
        assertMessage(IllegalStateException.class, "this generator is closed", () -> closed.generate("Hi", greedy(1).build()));
        assertMessage(IllegalStateException.class, "this generator is closed", () -> closed.score("Hi there"));
        assertMessage(IllegalStateException.class, "this generator is closed", () -> closed.stream("Hi", greedy(1).build()));
    }

    // ------------------------------------------------------------------------------------------

    /** A model folder: the tiny model's config.json and its tensors (F32) after {@code edit}. */
    private static Path tinyWith(Path folder, Consumer<Map<String, INDArray>> edit) {
        Path tiny = Fixtures.modelDir("tiny");
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(tiny.resolve("model.safetensors"))) {
            for (String name : file.names()) {
                tensors.put(name, file.loadCopy(name));
            }
        }
        edit.accept(tensors);
        try {
            Files.createDirectories(folder);
            SafetensorsFile.write(folder.resolve("model.safetensors"), tensors, Dtype.F32);
            Files.copy(tiny.resolve("config.json"), folder.resolve("config.json"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return folder;
    }
}
