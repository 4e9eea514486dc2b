package dev.nexttoken.core;

import dev.nexttoken.core.model.Fixtures;
import dev.nexttoken.sampling.GreedySampler;
import dev.nexttoken.sampling.SamplingException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property tests of {@link Generator} with seeded random inputs (the seed is in every failure
 * message, so a failure replays): random option combinations and random prompts either give a
 * well-formed result or fail with one of the library's exceptions, never anything else; greedy
 * decoding does not depend on the temperature.
 */
class PropertyTest {

    private static final int EOT = 50256;
    private static final int VOCAB = 50257;
    private static final int TRIALS = 200;
    private static Generator gen;

    @BeforeAll
    static void load() {
        gen = Generator.load(Fixtures.modelDir("tiny"));
    }

    @AfterAll
    static void close() {
        gen.close();
    }

    @Test
    void randomOptionsAndPromptsGiveAWellFormedResultOrTheLibrarysException() {
        int succeeded = 0;
        int refused = 0;
        java.util.Map<String, Integer> reasons = new java.util.TreeMap<>();
        for (int trial = 0; trial < TRIALS; trial++) {
            Random random = new Random(1000 + trial);
            String what = "trial " + trial + " (seed " + (1000 + trial) + ")";
            boolean invalid = random.nextInt(5) == 0;
            GenerationOptions options;
            try {
                options = randomOptions(random, invalid).build();
            } catch (IllegalArgumentException e) {
                if (!invalid) {
                    throw new AssertionError(what + ": valid options refused: " + e.getMessage(), e);
                }
                refused++;                                        // the invalid value, refused by its setter
                reasons.merge("refused by a setter", 1, Integer::sum);
                continue;
            }
            int[] prompt = randomPrompt(random);
            try {
                GenerationResult result = random.nextInt(4) == 0 ? streamed(prompt, options) : gen.generate(prompt, options, null);
                checkWellFormed(result, prompt, options, what);
                succeeded++;
            } catch (IllegalArgumentException | NextTokenException | SamplingException e) {
                refused++;
                reasons.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), what + ": " + e);
            } catch (RuntimeException | Error e) {
                throw new AssertionError(what + " with " + options + " and prompt " + Arrays.toString(prompt)
                        + " failed with " + e, e);
            }
        }
        assertTrue(succeeded > TRIALS / 2 && refused > 0, succeeded + " succeeded, " + refused + " refused: " + reasons);
    }

    @Test
    void randomTextPromptsAreEncodedAndContinued() {
        for (int trial = 0; trial < 40; trial++) {
            Random random = new Random(5000 + trial);
            String prompt = randomText(random, random.nextInt(30));
            GenerationOptions options = GenerationOptions.builder().maxNewTokens(1 + random.nextInt(4)).seed(trial)
                    .allowSpecialTokens(random.nextBoolean()).build();
            GenerationResult result = gen.generate(prompt, options);
            int[] expectedPrompt = gen.tokenizer().encode(prompt, options.allowSpecialTokens()
                    ? dev.nexttoken.tokenizer.SpecialTokens.ALLOWED : dev.nexttoken.tokenizer.SpecialTokens.AS_TEXT);
            assertArrayEquals(expectedPrompt.length == 0 ? new int[] {EOT} : expectedPrompt, result.promptTokens(),
                    "trial " + trial);
            checkWellFormed(result, result.promptTokens(), options, "trial " + trial);
        }
    }

    /**
     * Greedy decoding takes the argmax of the (penalised) logits, and dividing by a positive
     * temperature, or cutting with top-k, top-p or min-p, never changes the argmax: temperature 0
     * gives the same tokens as any temperature with the greedy sampler, penalties included.
     */
    @Test
    void greedyDecodingDoesNotDependOnTheTemperature() {
        for (int trial = 0; trial < 12; trial++) {
            Random random = new Random(9000 + trial);
            int[] prompt = random.ints(1 + random.nextInt(12), 0, VOCAB - 1).toArray();
            Consumer<GenerationOptions.Builder> penalties = b -> {
                if (random.nextBoolean()) {
                    b.repetitionPenalty(0.5 + random.nextDouble() * 1.5);
                }
                if (random.nextBoolean()) {
                    b.frequencyPenalty(random.nextDouble()).presencePenalty(random.nextDouble() - 0.5);
                }
                if (random.nextBoolean()) {
                    b.noRepeatNgramSize(2);
                }
            };
            GenerationOptions.Builder base = GenerationOptions.builder().maxNewTokens(12).stopAtEndOfText(false)
                    .seed(random.nextLong());
            penalties.accept(base);
            GenerationOptions greedy = base.build().toBuilder().temperature(0).build();
            double temperature = 0.05 + random.nextDouble() * 20;
            GenerationOptions scaled = greedy.toBuilder().temperature(temperature).topK(1 + random.nextInt(300))
                    .topP(0.05 + 0.95 * random.nextDouble()).minP(random.nextDouble() * 0.5)
                    .sampler(new GreedySampler()).seed(random.nextLong()).build();
            String what = "trial " + trial + ", temperature " + temperature + ", " + scaled;
            assertArrayEquals(gen.generate(prompt, greedy, null).samples().get(0).tokens(),
                    gen.generate(prompt, scaled, null).samples().get(0).tokens(), what);
            NextTokenTable table = gen.next(prompt, greedy, 1);
            assertEquals(gen.generate(prompt, scaled, null).samples().get(0).tokens()[0], table.chosenId(), what);
        }
    }

    // ------------------------------------------------------------------------------------------

    private static GenerationResult streamed(int[] prompt, GenerationOptions options) {
        try (TokenStream stream = gen.stream(prompt, options)) {
            List<GeneratedToken> tokens = new ArrayList<>();
            stream.forEachRemaining(tokens::add);
            GenerationResult result = stream.result();
            for (int s = 0; s < options.numSamples(); s++) {
                int sample = s;
                StringBuilder text = new StringBuilder();
                tokens.stream().filter(t -> t.sample() == sample).forEach(t -> text.append(t.text()));
                assertEquals(result.samples().get(s).text(), text.toString(), "streamed text of sample " + s);
                assertArrayEquals(result.samples().get(s).tokens(),
                        tokens.stream().filter(t -> t.sample() == sample && t.id() >= 0).mapToInt(GeneratedToken::id).toArray());
            }
            return result;
        }
    }

    /** The result has one sample per request, valid ids, the right length and finish reason, text = decode(ids). */
    private static void checkWellFormed(GenerationResult result, int[] prompt, GenerationOptions options, String what) {
        assertArrayEquals(prompt.length == 0 ? new int[] {EOT} : prompt, result.promptTokens(), what);
        assertEquals(options.numSamples(), result.samples().size(), what);
        for (Sample sample : result.samples()) {
            int[] tokens = sample.tokens();
            assertTrue(tokens.length <= options.maxNewTokens(), what);
            for (int id : tokens) {
                assertTrue(id >= 0 && id < VOCAB, what + ": id " + id);
                assertTrue(!options.stopAtEndOfText() || id != EOT, what + ": <|endoftext|> kept although it stops");
            }
            switch (sample.finishReason()) {
                case LENGTH -> assertEquals(options.maxNewTokens(), tokens.length, what);
                case EOS -> assertTrue(options.stopAtEndOfText(), what);
                case STOP -> assertTrue(!options.stopStrings().isEmpty(), what);
                default -> throw new AssertionError(what + ": finish reason " + sample.finishReason());
            }
            String decoded = gen.tokenizer().decode(tokens);
            if (sample.finishReason() == FinishReason.STOP) {
                // the text ends before the stop string, which the last tokens completed
                assertTrue(options.stopStrings().stream().anyMatch(stop -> decoded.startsWith(sample.text() + stop)),
                        what + ": " + sample);
            } else {
                assertEquals(decoded, sample.text(), what);
            }
        }
        if (options.traceTopN() > 0) {
            for (TraceStep step : result.trace()) {
                assertTrue(step.candidates().size() <= options.traceTopN(), what);
                double total = step.candidates().stream().mapToDouble(TraceCandidate::probability).sum();
                assertTrue(total <= 1 + 1e-6 && step.candidates().stream().allMatch(c -> c.probability() >= 0), what);
            }
        }
    }

    /**
     * Any combination of the options with valid values (which must build); with {@code invalid},
     * one setter also gets an invalid value (which it must refuse with {@link IllegalArgumentException}).
     */
    private static GenerationOptions.Builder randomOptions(Random r, boolean invalid) {
        GenerationOptions.Builder b = GenerationOptions.builder().maxNewTokens(r.nextInt(7)).seed(r.nextLong());
        if (r.nextInt(3) == 0) {
            b.numSamples(1 + r.nextInt(4));
        }
        if (r.nextBoolean()) {
            b.temperature(pick(r, 0, r.nextDouble() * 3, 1, 1e-6, 100));
        }
        if (r.nextBoolean()) {
            b.topK((int) pick(r, 0, 1, 5, 200, 60000));
        }
        if (r.nextInt(3) == 0) {
            b.topP(pick(r, 1, 0.5, 1e-9, 1e-3 + r.nextDouble() * 0.999));
        }
        if (r.nextInt(3) == 0) {
            b.minP(pick(r, 0, 0.05, 1, r.nextDouble()));
        }
        if (r.nextInt(4) == 0) {
            b.typicalP(pick(r, 1, 0.9, 0.2, 1e-9));
        }
        if (r.nextInt(3) == 0) {
            b.repetitionPenalty(pick(r, 1, 1.3, 0.7, 100, 1e-3));
        }
        if (r.nextInt(4) == 0) {
            b.frequencyPenalty(pick(r, 0, 0.5, -2, 1e30)).presencePenalty(pick(r, 0, 0.5, -2));
        }
        if (r.nextInt(5) == 0) {
            b.penaltyWindow((int) pick(r, 0, 1, 64));
        }
        if (r.nextInt(5) == 0) {
            b.noRepeatNgramSize((int) pick(r, 0, 1, 2, 3));
        }
        if (r.nextInt(4) == 0) {
            b.logitBias(r.nextInt(VOCAB), pick(r, 5, -5, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 1e30));
        }
        if (r.nextInt(4) == 0) {
            b.banTokens(r.ints(r.nextInt(4), 0, VOCAB).toArray());
        }
        if (r.nextInt(6) == 0) {
            b.banSequence(r.ints(1 + r.nextInt(3), 0, 300).toArray());
        }
        if (r.nextInt(5) == 0) {
            b.minNewTokens((int) pick(r, 0, 1, 3, 100));
        }
        if (r.nextInt(4) == 0) {
            b.stopAtEndOfText(false);
        }
        if (r.nextInt(4) == 0) {
            b.addStopString(pickText(r, " ", "e", "the", "\n", "日本", "\uFFFD"));
        }
        if (r.nextInt(5) == 0) {
            b.trace((int) pick(r, 0, 1, 5, 1000));
        }
        if (r.nextInt(8) == 0) {
            b.allowSpecialTokens(true);
        }
        if (invalid) {
            invalidSetting(r, b);
        }
        return b;
    }

    /** One setter call with a value outside its range, or ids outside the vocabulary (refused when used). */
    private static void invalidSetting(Random r, GenerationOptions.Builder b) {
        switch (r.nextInt(14)) {
            case 0 -> b.temperature(pick(r, -1, Double.NaN, Double.POSITIVE_INFINITY));
            case 1 -> b.topK(-1 - r.nextInt(5));
            case 2 -> b.topP(pick(r, 0, 1.5, -0.1, Double.NaN));
            case 3 -> b.minP(pick(r, -0.1, 2, Double.NaN));
            case 4 -> b.typicalP(pick(r, 0, -1, 1.01));
            case 5 -> b.repetitionPenalty(pick(r, 0, -1, Double.NaN, Double.POSITIVE_INFINITY));
            case 6 -> b.frequencyPenalty(Double.NaN);
            case 7 -> b.maxNewTokens(-1 - r.nextInt(100));
            case 8 -> b.numSamples((int) pick(r, 0, -3, 4097, Integer.MAX_VALUE));
            case 9 -> b.trace((int) pick(r, -1, 1001));
            case 10 -> b.addStopString("");
            case 11 -> b.logitBias((int) pick(r, -1, VOCAB, VOCAB + 100), 1.0);     // -1 refused now, the others when used
            case 12 -> b.banTokens((int) pick(r, -5, VOCAB, 1 << 30));
            default -> b.minNewTokens(-1);
        }
    }

    /** A prompt: usually ids in the vocabulary (GPT-2's or the window's length and beyond), sometimes not. */
    private static int[] randomPrompt(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> new int[0];
            case 1 -> r.ints(40 + r.nextInt(40), 0, VOCAB).toArray();                 // beyond the 32-token window
            case 2 -> new int[] {r.nextBoolean() ? -1 - r.nextInt(5) : VOCAB + r.nextInt(5)};
            case 3 -> gen.tokenizer().encode(randomText(r, 1 + r.nextInt(20)));
            default -> r.ints(1 + r.nextInt(10), 0, VOCAB).toArray();
        };
    }

    /** Text from ASCII, Latin, CJK, emoji, control characters, lone surrogates and {@code <|endoftext|>}. */
    static String randomText(Random r, int parts) {
        String[] pieces = {"a", " ", "the", "\n", "é", "日本語", "👨‍👩‍👧", "\u0000", "\ud800", "<|endoftext|>", "  ",
                "123", "'s", "\t", "ﬁ", "\uFFFD", "Z"};
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < parts; i++) {
            text.append(r.nextInt(5) == 0 ? String.valueOf((char) r.nextInt(0x10000)) : pieces[r.nextInt(pieces.length)]);
        }
        return text.toString();
    }

    private static String pickText(Random r, String... choices) {
        return choices[r.nextInt(choices.length)];
    }

    private static double pick(Random r, double... choices) {
        return choices[r.nextInt(choices.length)];
    }
}
