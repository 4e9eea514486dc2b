package dev.nexttoken.core.faults;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.TokenStream;
import dev.nexttoken.core.model.Gpt2Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.nexttoken.core.faults.SmallModelFolder.require;

/**
 * {@code close()} at any moment of any call never crashes the JVM: a call in flight finishes or
 * ends with {@link IllegalStateException}, and the weights (read into memory, or memory-mapped
 * with {@code withMemoryMapped(true)}) are released at once when no call uses them. Runs in a
 * forked JVM, with a garbage collection forced after every close, so that a crash fails this
 * test, not the build.
 */
class CloseDuringCallTest {

    @TempDir
    Path dir;

    @Test
    void closingDuringEveryKindOfCallNeverCrashesAndReleasesTheMappingAtOnce() throws Exception {
        SmallModelFolder.runScenario(Child.class, SmallModelFolder.write(dir, 7));
    }

    /** The scenarios; exits non-zero (or crashes) on any failure, prints "ok" at the end. */
    public static final class Child {

        private static final GenerationOptions LONG = GenerationOptions.builder().maxNewTokens(60)
                .stopAtEndOfText(false).seed(3).build();
        private static final String TEXT = "It was the best of times, it was the worst of times, it was the age of"
                + " wisdom, it was the age of foolishness, it was the epoch of belief.";

        public static void main(String[] args) throws Exception {
            Path model = Path.of(args[0]);
            String file = model.resolve("model.safetensors").toRealPath().toString();
            List<String> kinds = List.of("generate", "stream", "next", "score", "listener");
            Random random = new Random(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 30; round++) {
                    String kind = kinds.get(round % kinds.size());
                    boolean copied = round % 2 == 1;
                    Generator gen = Generator.load(model, Gpt2Weights.LoadOptions.defaults().withMemoryMapped(!copied));
                    Future<String> call = pool.submit(call(gen, kind));
                    Thread.sleep(random.nextInt(15));
                    gen.close();
                    System.gc();
                    String outcome = call.get(60, TimeUnit.SECONDS);
                    require(outcome.equals("finished") || outcome.equals("closed"), kind + ": " + outcome);
                    require(mappings(file) == 0, kind + ": " + mappings(file) + " mappings left right after the call ended");
                }
                streamOutlivingItsGenerator(model);
                for (int i = 0; i < 10; i++) {                      // load/close in a loop: back to no mapping
                    try (Generator gen = Generator.load(model, Gpt2Weights.LoadOptions.defaults().withMemoryMapped(true))) {
                        gen.generate("Hi", LONG.toBuilder().maxNewTokens(2).build());
                        require(mappings(file) > 0, "mapped while open");
                    }
                    require(mappings(file) == 0, "mapping left after close " + i);
                }
            } finally {
                pool.shutdownNow();
            }
            System.out.println("ok");
        }

        /** One call that may meet a close(): "finished", "closed" (IllegalStateException), or what else happened. */
        private static Callable<String> call(Generator gen, String kind) {
            return () -> {
                try {
                    switch (kind) {
                        case "generate" -> gen.generate(TEXT, LONG);
                        case "stream" -> {
                            try (TokenStream stream = gen.stream(TEXT, LONG)) {
                                stream.forEachRemaining(token -> { });
                            }
                        }
                        case "next" -> {
                            for (int i = 0; i < 20; i++) {
                                gen.next(TEXT, LONG, 5);
                            }
                        }
                        case "score" -> {
                            for (int i = 0; i < 10; i++) {
                                gen.score(TEXT);
                            }
                        }
                        case "listener" -> {                        // the listener itself closes
                            AtomicReference<Integer> seen = new AtomicReference<>(0);
                            gen.generate(TEXT, LONG, (sample, id, text) -> {
                                if (seen.updateAndGet(n -> n + 1) == 3) {
                                    gen.close();
                                    System.gc();
                                }
                            });
                        }
                        default -> throw new AssertionError(kind);
                    }
                    return "finished";
                } catch (IllegalStateException e) {
                    return "closed";
                } catch (RuntimeException | Error e) {
                    return e.toString();
                }
            };
        }

        private static void streamOutlivingItsGenerator(Path model) {
            Generator gen = Generator.load(model);
            TokenStream stream = gen.stream(TEXT, LONG);
            stream.next();
            gen.close();
            gen.close();                                           // twice
            System.gc();
            try {
                stream.next();
                stream.next();
                throw new AssertionError("a stream of a closed generator went on");
            } catch (IllegalStateException expected) {
                stream.close();
            }
        }

        private static long mappings(String file) throws IOException {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(line -> line.endsWith(file)).count();
        }
    }
}
