package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.FinishReason;
import dev.nexttoken.core.Generation;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.core.Generator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler, and the runner on it, without HTTP: what the feeds receive, a failure that ends
 * one generation (and its request) only, and the scheduler's stop.
 */
class DecodeSchedulerTest {

    private static Generator generator;

    @BeforeAll
    static void load() {
        generator = Generator.loadDefault();
    }

    @AfterAll
    static void close() {
        generator.close();
    }

    @Test
    void aFailureEndsOnlyItsGenerationAndTheOthersGetWhatTheyWouldAlone() throws Exception {
        ServerMetrics metrics = new ServerMetrics();
        DecodeScheduler scheduler = new DecodeScheduler(generator, metrics);
        GenerationOptions sampled = GenerationOptions.builder().temperature(0.9).topK(40).seed(7).maxNewTokens(20)
                .stopAtEndOfText(false).build();
        GenerationOptions greedy = GenerationOptions.builder().temperature(0).maxNewTokens(25).stopAtEndOfText(false)
                .build();
        GenerationOptions broken = greedy.toBuilder().addProcessor(new FailingProcessor(5)).build();

        List<GenerationFeed> feeds = new ArrayList<>();
        List<GenerationOptions> options = List.of(sampled, broken, greedy);
        for (GenerationOptions o : options) {
            GenerationFeed feed = new GenerationFeed(null, 0, generator.tokenizer(), new int[1]);
            Generation g = generator.begin("Once upon a time", o, feed);
            scheduler.submit(g, feed);
            feeds.add(feed);
        }
        List<String> texts = new ArrayList<>();
        List<GenerationFeed.Step> ends = new ArrayList<>();
        for (GenerationFeed feed : feeds) {
            StringBuilder text = new StringBuilder();
            GenerationFeed.Step step;
            while (!(step = feed.take()).end()) {
                step.pieces().forEach(p -> text.append(p.text()));
            }
            texts.add(text.toString());
            ends.add(step);
        }
        assertTrue(scheduler.close(10_000), "the scheduler stops once nothing runs");

        assertNull(ends.get(0).failure());
        assertEquals(generator.generate("Once upon a time", sampled).text(), texts.get(0));
        assertEquals(generator.generate("Once upon a time", sampled).text(), ends.get(0).result().text());
        assertNull(ends.get(2).failure());
        assertEquals(generator.generate("Once upon a time", greedy).text(), texts.get(2));

        assertTrue(ends.get(1).failure().getMessage().endsWith("this request's processor broke"),
                ends.get(1).failure().getMessage());
        assertEquals(FinishReason.CANCELLED, ends.get(1).result().samples().get(0).finishReason());
        assertEquals(4, ends.get(1).result().samples().get(0).tokens().length, "it ended at its fifth step");
        assertTrue(metrics.scrape().contains("nexttoken_batch_size_max 3.0"), metrics.scrape());
    }

    @Test
    void aStoppedSchedulerRefusesNewGenerationsWith503AndFreesThem() throws Exception {
        DecodeScheduler scheduler = new DecodeScheduler(generator, new ServerMetrics());
        assertTrue(scheduler.close(10_000));
        Generation g = generator.begin("x", GenerationOptions.builder().maxNewTokens(2).build(), null);
        ApiException refused = assertThrows(ApiException.class, () -> scheduler.submit(g,
                new GenerationFeed(null, 0, generator.tokenizer(), new int[1])));
        assertEquals(503, refused.status());
        generator.stepTogether(List.of(g));                    // closed: it ends without running the model
        assertTrue(g.isDone());
        assertEquals(FinishReason.CANCELLED, g.result().samples().get(0).finishReason());
        assertFalse(g.result().samples().get(0).tokens().length > 0);
    }

    @Test
    void aRequestWhoseGenerationFailsFailsAloneAndTheOneDecodedWithItIsUntouched() throws Exception {
        ServerMetrics metrics = new ServerMetrics();
        try (DecodeScheduler scheduler = new DecodeScheduler(generator, metrics)) {
            CompletionRunner runner = new CompletionRunner(generator, scheduler, metrics);
            int[] prompt = generator.tokenizer().encode("Once upon a time");
            GenerationOptions good = GenerationOptions.builder().temperature(0.9).topK(40).seed(11).maxNewTokens(30)
                    .stopAtEndOfText(false).build();
            GenerationOptions bad = GenerationOptions.builder().temperature(0).maxNewTokens(30).stopAtEndOfText(false)
                    .addProcessor(new FailingProcessor(10)).build();
            CompletionCollector goodSink = new CompletionCollector(1, true);
            CompletableFuture<CompletionRunner.Usage> goodRun = CompletableFuture.supplyAsync(() -> run(runner,
                    new CompletionRequest("m", List.of(prompt), good, 1, 1, false, false, false), goodSink));
            CompletableFuture<CompletionRunner.Usage> badRun = CompletableFuture.supplyAsync(() -> run(runner,
                    new CompletionRequest("m", List.of(prompt), bad, 1, null, false, false, false),
                    new CompletionCollector(1, false)));

            ExecutionException failed = assertThrows(ExecutionException.class, () -> badRun.get(60, TimeUnit.SECONDS));
            IllegalStateException e = assertInstanceOf(IllegalStateException.class, failed.getCause());
            assertTrue(e.getCause().getMessage().endsWith("this request's processor broke"), e.toString());

            assertEquals(30, goodRun.get(60, TimeUnit.SECONDS).completionTokens());
            JsonNode choice = goodSink.response(new CompletionJson("id", 0, "m"), goodRun.get())
                    .get("choices").get(0);
            assertEquals(generator.generate(prompt, good).text(), choice.get("text").asText());
            assertEquals(30, choice.get("logprobs").get("tokens").size());
            assertTrue(metrics.scrape().contains("nexttoken_batch_size_max 2.0"), "they were decoded together");
        }
    }

    private static CompletionRunner.Usage run(CompletionRunner runner, CompletionRequest request,
                                              CompletionSink sink) {
        try {
            return runner.run(request, sink, System.nanoTime());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
