package dev.nexttoken.core;

import dev.nexttoken.core.model.Fixtures;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.model.KvCache;
import dev.nexttoken.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One {@link Generator} shared by many threads: every kind of call at once gives each caller
 * exactly what it gets alone (the caches, random streams and buffers are per call), and a
 * stream cancelled from another thread stops within one step and frees its cache.
 */
class ConcurrencyTest {

    private static final int THREADS = 8;
    private static final int ROUNDS = 2;
    private static Generator gen;

    @BeforeAll
    static void load() {
        gen = Generator.load(Fixtures.modelDir("tiny"));
    }

    @AfterAll
    static void close() {
        gen.close();
    }

    private static GenerationOptions.Builder sampled(int tokens, long seed) {
        return GenerationOptions.builder().maxNewTokens(tokens).temperature(1.0).topK(0).seed(seed);
    }

    /** Eight different calls, each described by what it returns (text, ids, probabilities, losses). */
    private static List<Callable<String>> mixedCalls() {
        List<Callable<String>> calls = new ArrayList<>();
        // 0: a batch of samples
        calls.add(() -> gen.generate("Thread zero", sampled(20, 100).numSamples(3).build()).samples().toString());
        // 1: pull-style streaming, token by token
        calls.add(() -> {
            try (TokenStream stream = gen.stream("Stream me", sampled(16, 101).numSamples(2).build())) {
                String tokens = stream.stream().map(t -> t.sample() + ":" + t.id() + ":" + t.text())
                        .collect(Collectors.joining("|"));
                return tokens + " => " + stream.result().samples();
            }
        });
        // 2: the next-token table
        calls.add(() -> {
            NextTokenTable table = gen.next("The capital of France is", GenerationOptions.builder().temperature(0.7)
                    .topK(40).seed(102).build(), 20);
            return Arrays.toString(table.promptTokens()) + table.candidates() + table.chosenId();
        });
        // 3: the loss of a text (longer than the 32-token window: scored in windows)
        calls.add(() -> {
            ScoreResult score = gen.score("It was the best of times, it was the worst of times, it was the age of"
                    + " wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of"
                    + " incredulity, it was the season of Light.");
            return score.loss() + " " + Arrays.toString(score.tokenLosses());
        });
        // 4: a listener receiving the text as it comes, with penalties and a stop string
        calls.add(() -> {
            StringBuilder pieces = new StringBuilder();
            GenerationResult result = gen.generate("Listen", sampled(20, 104).repetitionPenalty(1.3).topP(0.9)
                    .addStopString("xyz").build(), (sample, id, text) -> pieces.append(id).append(text));
            return pieces + " => " + result.samples();
        });
        // 5: greedy past the window: the context slides and the cache is rebuilt
        calls.add(() -> gen.generate(IntStream.range(0, 28).map(i -> 300 + 7 * i).toArray(),
                GenerationOptions.greedy().toBuilder().maxNewTokens(12).stopAtEndOfText(false).build(), null)
                .samples().toString());
        // 6: a trace of every step
        calls.add(() -> gen.generate("Trace", sampled(8, 106).numSamples(2).trace(4).build()).trace().toString());
        // 7: a custom processor and min-p
        calls.add(() -> gen.generate("Custom", sampled(16, 107).minP(0.05)
                .addProcessor((context, logits) -> logits.getColumn(13).assign(Double.NEGATIVE_INFINITY)).build())
                .samples().toString());
        return calls;
    }

    @Test
    void eightThreadsMixingEveryCallEachGetWhatTheyGetAlone() throws Exception {
        List<Callable<String>> calls = mixedCalls();
        List<String> alone = new ArrayList<>();
        for (Callable<String> call : calls) {
            alone.add(call.call());
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int first = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<String> results = new ArrayList<>();
                    // each thread runs two calls, starting at a different one, so all kinds overlap
                    for (int k = 0; k < ROUNDS; k++) {
                        results.add(calls.get((first + k) % calls.size()).call());
                    }
                    return results;
                }));
            }
            for (int t = 0; t < THREADS; t++) {
                List<String> results = futures.get(t).get(5, TimeUnit.MINUTES);
                for (int k = 0; k < ROUNDS; k++) {
                    int call = (t + k) % calls.size();
                    assertEquals(alone.get(call), results.get(k), "thread " + t + ", call " + call);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Two generators of a model wide enough for the parallel kernels (products, attention and the
     * head split over the cores), four threads: the calls share the helper threads and each gets
     * exactly what it gets alone.
     */
    @Test
    void twoGeneratorsOnFourThreadsShareTheCoresAndGetWhatTheyGetAlone() throws Exception {
        Gpt2Config wide = new Gpt2Config(2, 4, 256, 128, 50257, 1e-5);
        try (Generator first = new Generator(new Gpt2Model(Gpt2Weights.random(wide, 11)), Tokenizer.gpt2());
             Generator second = new Generator(new Gpt2Model(Gpt2Weights.random(wide, 12)), Tokenizer.gpt2())) {
            String prompt = "It was the best of times, it was the worst of times, it was the age of wisdom, it was"
                    + " the age of foolishness, it was the epoch of belief, it was the epoch of incredulity";
            List<Callable<String>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Generator gen = i % 2 == 0 ? first : second;
                GenerationOptions options = sampled(12, 200 + i).numSamples(1 + i % 3).stopAtEndOfText(false).build();
                calls.add(() -> gen.generate(prompt, options).samples().toString());
            }
            List<String> alone = new ArrayList<>();
            for (Callable<String> call : calls) {
                alone.add(call.call());
            }
            ExecutorService pool = Executors.newFixedThreadPool(calls.size());
            try {
                CyclicBarrier start = new CyclicBarrier(calls.size());
                for (int round = 0; round < 3; round++) {
                    List<Future<String>> futures = new ArrayList<>();
                    for (Callable<String> call : calls) {
                        futures.add(pool.submit(() -> {
                            start.await();
                            return call.call();
                        }));
                    }
                    for (int i = 0; i < calls.size(); i++) {
                        assertEquals(alone.get(i), futures.get(i).get(5, TimeUnit.MINUTES), "round " + round + ", call " + i);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aStreamCancelledFromAnotherThreadStopsWithinOneStepAndFreesItsCache() throws Exception {
        int samples = 2;
        TokenStream stream = gen.stream("Cancel me", sampled(100_000, 7).numSamples(samples).stopAtEndOfText(false).build());
        AtomicInteger pulled = new AtomicInteger();
        AtomicLong cancelledAt = new AtomicLong();
        AtomicInteger pulledAfterCancel = new AtomicInteger();
        CountDownLatch running = new CountDownLatch(1);
        ExecutorService consumer = Executors.newSingleThreadExecutor();
        try {
            Future<Long> stoppedAt = consumer.submit(() -> {
                while (stream.hasNext()) {
                    GeneratedToken token = stream.next();
                    if (token.id() >= 0 && pulled.incrementAndGet() == 50) {      // id -1: a sample's held-back text
                        running.countDown();
                    }
                    if (cancelledAt.get() != 0) {
                        pulledAfterCancel.incrementAndGet();
                    }
                }
                return System.nanoTime();
            });
            assertTrue(running.await(1, TimeUnit.MINUTES));
            cancelledAt.set(System.nanoTime());
            stream.cancel();
            long stopped = stoppedAt.get(1, TimeUnit.MINUTES);
            long millis = (stopped - cancelledAt.get()) / 1_000_000;
            assertTrue(millis < 1000, "stopped " + millis + " ms after cancel()");
            // what was already chosen drains (at most the queued and the running step's tokens, and each
            // sample's held-back text); then nothing new
            assertTrue(pulledAfterCancel.get() <= 3 * samples, pulledAfterCancel.get() + " tokens after cancel()");
            assertNull(cacheOf(stream), "the cache is freed as soon as the stream has stopped, before close()");
            GenerationResult result = stream.result();
            for (Sample sample : result.samples()) {
                assertEquals(FinishReason.CANCELLED, sample.finishReason());
                assertTrue(sample.tokens().length < 100_000);
            }
            assertEquals(pulled.get(), Arrays.stream(result.samples().toArray(Sample[]::new))
                    .mapToInt(s -> s.tokens().length).sum());
        } finally {
            stream.close();
            consumer.shutdownNow();
        }
    }

    @Test
    void aStreamCancelledWhileNobodyPullsFreesItsCacheAtTheNextPullOrAtClose() throws Exception {
        TokenStream stream = gen.stream("Idle", sampled(1000, 8).build());
        stream.next();
        KvCache cache = cacheOf(stream);
        assertNotNull(cache);
        Thread other = new Thread(stream::cancel);
        other.start();
        other.join();
        assertEquals(false, stream.hasNext());
        assertNull(cacheOf(stream));
        assertThrows(IllegalStateException.class, cache::reset, "the cache was closed");
        stream.close();

        TokenStream abandoned = gen.stream("Idle", sampled(1000, 8).build());
        abandoned.next();
        KvCache held = cacheOf(abandoned);
        abandoned.close();                                   // without pulling again
        assertNull(cacheOf(abandoned));
        assertThrows(IllegalStateException.class, held::reset, "the cache was closed");
    }

    /** The cache of a stream's run (null once freed): read reflectively, it is private state. */
    private static KvCache cacheOf(TokenStream stream) throws ReflectiveOperationException {
        Field runField = TokenStream.class.getDeclaredField("run");
        runField.setAccessible(true);
        Object run = runField.get(stream);
        Field cacheField = GenerationRun.class.getDeclaredField("cache");
        cacheField.setAccessible(true);
        return (KvCache) cacheField.get(run);
    }
}
