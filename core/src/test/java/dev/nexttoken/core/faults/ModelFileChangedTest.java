package dev.nexttoken.core.faults;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.TokenStream;
import dev.nexttoken.core.model.Gpt2Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.nexttoken.core.faults.SmallModelFolder.require;

/**
 * A model file that changes while it is in use never ends the JVM. Weights are read into memory
 * by default, so truncating {@code model.safetensors} and writing garbage over {@code config.json}
 * in the middle of a generation changes nothing: the generation, and the ones after it, give
 * the tokens they gave before. A file truncated while it is being loaded fails the load with a
 * {@link ModelLoadException} naming the file, with weights read into memory or memory-mapped.
 * Runs in a forked JVM, so that a {@code SIGBUS} fails this test, not the build.
 */
class ModelFileChangedTest {

    @TempDir
    Path dir;

    @Test
    void aFileChangedUnderAGenerationChangesNothingAndOneChangedDuringTheLoadIsNamed() throws Exception {
        SmallModelFolder.runScenario(Child.class, SmallModelFolder.write(dir, 11));
    }

    /** The scenarios; exits non-zero (or dies of a signal) on any failure, prints "ok" at the end. */
    public static final class Child {

        private static final GenerationOptions GREEDY = GenerationOptions.builder().temperature(0).maxNewTokens(40)
                .stopAtEndOfText(false).build();
        private static final String PROMPT = "It was the best of times, it was the worst of times";

        public static void main(String[] args) throws Exception {
            Path model = Path.of(args[0]);
            Path weights = model.resolve("model.safetensors");
            byte[] original = Files.readAllBytes(weights);

            truncatedDuringTheLoad(model, weights, false);
            Files.write(weights, original);
            truncatedDuringTheLoad(model, weights, true);
            Files.write(weights, original);

            try (Generator gen = Generator.load(model)) {
                int[] expected = gen.generate(PROMPT, GREEDY).samples().get(0).tokens();
                List<Integer> streamed = new ArrayList<>();
                try (TokenStream stream = gen.stream(PROMPT, GREEDY)) {
                    while (stream.hasNext()) {
                        streamed.add(stream.next().id());
                        if (streamed.size() == 3) {                 // mid-generation: break both files
                            truncate(weights, 100);
                            Files.writeString(model.resolve("config.json"), "garbage");
                            System.gc();
                        }
                    }
                }
                int[] during = streamed.stream().mapToInt(Integer::intValue).toArray();
                require(Arrays.equals(expected, during), "the generation during the change differs: "
                        + Arrays.toString(during) + " against " + Arrays.toString(expected));
                int[] after = gen.generate(PROMPT, GREEDY).samples().get(0).tokens();
                require(Arrays.equals(expected, after), "a generation after the change differs");
                gen.next(PROMPT, GREEDY, 5);
                gen.score(PROMPT);
            }
            System.out.println("ok");
        }

        /** Loading fails with the file's name when the file is cut short after its first tensor. */
        private static void truncatedDuringTheLoad(Path model, Path weights, boolean mapped) throws IOException {
            Gpt2Weights.LoadOptions options = Gpt2Weights.LoadOptions.defaults().withMemoryMapped(mapped)
                    .withProgress((loaded, total) -> {
                        if (loaded < total) {
                            truncate(weights, total / 2);
                        }
                    });
            try (Generator gen = Generator.load(model, options)) {
                gen.generate(PROMPT, GREEDY);
                require(false, "a model truncated during its load (mapped " + mapped + ") loaded and ran");
            } catch (ModelLoadException e) {
                require(e.getMessage().contains(weights.toString()), "the message does not name the file: " + e);
            }
        }

        private static void truncate(Path file, long length) {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(Math.min(length, raf.length()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
