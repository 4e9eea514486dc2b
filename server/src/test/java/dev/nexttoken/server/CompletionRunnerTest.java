package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requests through the runner and the scheduler, without HTTP: a failing one fails alone. */
class CompletionRunnerTest {

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
