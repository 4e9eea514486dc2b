package dev.nexttoken.server;

import dev.nexttoken.core.FinishReason;
import dev.nexttoken.core.Generation;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.core.Generator;
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

/** The scheduler without HTTP: what its feeds receive, a failure that ends one generation only, and its stop. */
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
}
