package dev.nexttoken.core;

import dev.nexttoken.core.model.ComputePath;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Generations stepped together ({@link Generator#stepTogether}) produce exactly what
 * {@link Generator#generate} produces for each alone: greedy and sampled (temperature, top-k,
 * top-p, penalties), several samples, stop strings, prompts past the model's window (the context
 * slides), each joining at a different step and leaving when it ends; the listener hears the same
 * pieces; a cancelled one, or one whose processor throws, ends without disturbing the others.
 */
class StepTogetherTest {

    private static Generator gen;
    private static Generator other;

    @BeforeAll
    static void load() {
        // GPT-2's vocabulary, a short window so that long prompts slide
        Gpt2Config config = new Gpt2Config(2, 4, 64, 24, 50257, 1e-5);
        gen = new Generator(new Gpt2Model(Gpt2Weights.random(config, 17), ComputePath.AUTO), Tokenizer.gpt2());
        other = new Generator(new Gpt2Model(Gpt2Weights.random(config, 17), ComputePath.AUTO), Tokenizer.gpt2());
    }

    @AfterAll
    static void close() {
        gen.close();
        other.close();
    }

    /** A request: its prompt, options, and the step of the scheduler at which it arrives. */
    private record Request(String prompt, GenerationOptions options, int arrives) {
    }

    private static List<Request> requests() {
        GenerationOptions.Builder base = GenerationOptions.builder();
        return List.of(
                new Request("The quick brown fox", base.maxNewTokens(12).temperature(0).build(), 0),
                new Request("Once upon a time", GenerationOptions.builder().maxNewTokens(20).temperature(0.8)
                        .topK(40).seed(1).build(), 0),
                new Request("A", GenerationOptions.builder().maxNewTokens(7).temperature(1.2).topP(0.9).seed(2)
                        .build(), 3),
                new Request("In the beginning there was a long prompt that does not fit the window of this model "
                        + "at all, so it slides", GenerationOptions.builder().maxNewTokens(15).temperature(1.0)
                        .topK(0).seed(3).build(), 1),
                new Request("Two samples", GenerationOptions.builder().maxNewTokens(18).numSamples(2)
                        .temperature(0.9).topP(0.95).repetitionPenalty(1.3).seed(4).build(), 5),
                new Request("", GenerationOptions.builder().maxNewTokens(9).temperature(0.7).minP(0.05).seed(5)
                        .addStopString("e").build(), 8),
                new Request("Late", GenerationOptions.builder().maxNewTokens(5).temperature(0).build(), 17));
    }

    @Test
    void eachGenerationGetsWhatGenerateGivesAlone() {
        List<Request> requests = requests();
        List<String> heardAlone = new ArrayList<>();
        List<GenerationResult> alone = new ArrayList<>();
        for (Request r : requests) {
            StringBuilder heard = new StringBuilder();
            alone.add(gen.generate(r.prompt(), r.options(), recorder(heard)));
            heardAlone.add(heard.toString());
        }
        StringBuilder[] heardTogether = new StringBuilder[requests.size()];
        Generation[] together = new Generation[requests.size()];           // by request
        List<Generation> running = new ArrayList<>();
        int begun = 0;
        try {
            for (int step = 0; begun < requests.size() || !running.isEmpty(); step++) {
                for (int i = 0; i < requests.size(); i++) {
                    Request r = requests.get(i);
                    if (r.arrives() == step) {                           // joins at this step
                        heardTogether[i] = new StringBuilder();
                        together[i] = gen.begin(r.prompt(), r.options(), recorder(heardTogether[i]));
                        running.add(together[i]);
                        begun++;
                    }
                }
                gen.stepTogether(running);
                running.removeIf(Generation::isDone);                   // leaves when it ends
                assertTrue(step < 200, "the generations did not end");
            }
            for (int i = 0; i < requests.size(); i++) {
                assertEquals(alone.get(i).samples(), together[i].result().samples(), "request " + i);
                assertEquals(heardAlone.get(i), heardTogether[i].toString(), "request " + i + "'s listener");
            }
        } finally {
            for (Generation g : together) {
                if (g != null) {
                    g.close();
                }
            }
        }
    }

    @Test
    void aCancelledGenerationEndsAndTheOthersCarryOn() {
        GenerationOptions options = GenerationOptions.builder().maxNewTokens(10).temperature(1.0).seed(9).build();
        GenerationResult alone = gen.generate("Carry on", options);
        try (Generation kept = gen.begin("Carry on", options, null);
             Generation dropped = gen.begin("Drop me", options, null)) {
            List<Generation> both = List.of(kept, dropped);
            gen.stepTogether(both);
            gen.stepTogether(both);
            dropped.cancel();
            while (!kept.isDone()) {
                gen.stepTogether(both);
            }
            assertTrue(dropped.isDone());
            assertEquals(FinishReason.CANCELLED, dropped.result().samples().get(0).finishReason());
            assertEquals(2, dropped.result().samples().get(0).tokens().length);
            assertEquals(alone.samples(), kept.result().samples());
        }
    }

    @Test
    void aFailingGenerationEndsAloneAndTheOthersCarryOn() {
        GenerationOptions good = GenerationOptions.builder().maxNewTokens(8).temperature(1.0).seed(3).build();
        GenerationResult alone = gen.generate("Keep going", good);
        int[] calls = {0};
        GenerationOptions bad = GenerationOptions.builder().maxNewTokens(8).addProcessor((context, logits) -> {
            if (++calls[0] == 3) {
                throw new IllegalStateException("boom");
            }
        }).build();
        try (Generation kept = gen.begin("Keep going", good, null);
             Generation broken = gen.begin("Break", bad, null)) {
            while (!kept.isDone()) {
                gen.stepTogether(List.of(kept, broken));
            }
            assertTrue(broken.isDone());
            assertTrue(causes(broken.failure(), "boom"), "the processor's exception: " + broken.failure());
            assertEquals(FinishReason.CANCELLED, broken.result().samples().get(0).finishReason());
            assertEquals(2, broken.result().samples().get(0).tokens().length);
            assertNull(kept.failure());
            assertEquals(alone.samples(), kept.result().samples());
        }
    }

    @Test
    void aListenerThatThrowsEndsOnlyItsGeneration() {
        GenerationOptions options = GenerationOptions.builder().maxNewTokens(6).temperature(1.0).seed(8).build();
        GenerationResult alone = gen.generate("Listen", options);
        GenerationListener throwing = new GenerationListener() {
            private int tokens;

            @Override
            public void onToken(int sample, int tokenId, String text) {
                if (++tokens == 2) {
                    throw new IllegalStateException("client gone");
                }
            }

            @Override
            public void onFinish(int sample, FinishReason reason, String remainingText) {
                throw new IllegalStateException("still gone");
            }
        };
        try (Generation kept = gen.begin("Listen", options, null);
             Generation broken = gen.begin("Listen", options, throwing)) {
            while (!kept.isDone()) {
                gen.stepTogether(List.of(kept, broken));
            }
            assertTrue(broken.isDone());
            assertEquals("client gone", broken.failure().getMessage());
            assertEquals(alone.samples(), kept.result().samples());
        }
    }

    private static boolean causes(Throwable e, String message) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (message.equals(t.getMessage())) {
                return true;
            }
        }
        return false;
    }

    @Test
    void rejectsForeignAndRepeatedGenerations() {
        GenerationOptions options = GenerationOptions.builder().maxNewTokens(3).build();
        try (Generation mine = gen.begin("x", options, null);
             Generation foreign = other.begin("x", options, null)) {
            assertThrows(IllegalArgumentException.class, () -> gen.stepTogether(List.of(mine, foreign)));
            assertThrows(IllegalArgumentException.class, () -> gen.stepTogether(List.of(mine, mine)));
            assertFalse(mine.isDone());
        }
    }

    private static GenerationListener recorder(StringBuilder heard) {
        return new GenerationListener() {
            @Override
            public void onToken(int sample, int tokenId, String text) {
                heard.append(sample).append(':').append(tokenId).append(':').append(text).append('|');
            }

            @Override
            public void onFinish(int sample, FinishReason reason, String remainingText) {
                heard.append(sample).append(' ').append(reason).append(' ').append(remainingText).append('|');
            }
        };
    }
}
