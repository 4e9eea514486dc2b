package dev.nexttoken.core;

import dev.nexttoken.core.model.Fixtures;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.model.KvCache;
import dev.nexttoken.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing a {@link Generator} frees its weights: the memory-mapped file is unmapped at once (no
 * garbage collection needed), and weight arrays it did not load from a file become collectable even while the (closed) generator object itself is still
 * referenced, as a long-lived service holding a field would.
 */
class WeightsReleaseTest {

    @TempDir
    Path dir;

    @Test
    void closingAGeneratorUnmapsItsWeightsFile() throws Exception {
        Path model = Files.createDirectory(dir.resolve("release-me"));
        Path tiny = Fixtures.modelDir("tiny");
        Files.copy(tiny.resolve("config.json"), model.resolve("config.json"));
        Files.copy(tiny.resolve("model.safetensors"), model.resolve("model.safetensors"));
        String weights = model.resolve("model.safetensors").toRealPath().toString();

        // mapping is opt-in since weights are read into memory by default
        Generator gen = Generator.load(model, Gpt2Weights.LoadOptions.defaults().withMemoryMapped(true));
        gen.generate("Hello", GenerationOptions.greedy().toBuilder().maxNewTokens(3).build());
        assertTrue(mappingsOf(weights) > 0, "the F32 weights are memory-mapped while in use");
        gen.close();
        assertEquals(0, mappingsOf(weights), "mappings of " + weights + " left right after close(), before any GC");
        assertThrows(IllegalStateException.class, () -> gen.generate("Hello", GenerationOptions.defaults()));
        try (KvCache cache = new KvCache(gen.model().config(), 1, 4)) {
            // not a read of unmapped memory (a JVM crash on the CPU path): the closed model refuses
            assertEquals("this model is closed", assertThrows(IllegalStateException.class,
                    () -> gen.model().forward(new int[][] {{1}}, cache)).getMessage());
        }
    }

    @Test
    void closingAGeneratorReleasesWeightArraysItDidNotLoadFromAFile() throws Exception {
        Gpt2Weights weights = Gpt2Weights.random(new Gpt2Config(1, 2, 16, 16, 50257, 1e-5), 5);
        WeakReference<INDArray> wte = new WeakReference<>(weights.wte());
        Generator gen = new Generator(new Gpt2Model(weights), Tokenizer.gpt2());
        weights = null;
        gen.generate("Hi", GenerationOptions.greedy().toBuilder().maxNewTokens(2).build());
        gen.close();
        assertTrue(awaitCollected(() -> wte.get() == null), "the closed generator still holds its weights");
        assertEquals("this generator is closed",
                assertThrows(IllegalStateException.class, () -> gen.score("Hi there")).getMessage());
    }

    /** The number of this process's memory mappings of {@code file}, from {@code /proc/self/maps}. */
    static long mappingsOf(String file) {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(line -> line.endsWith(file)).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Runs the garbage collector until {@code done} holds, for up to ten seconds. */
    static boolean awaitCollected(java.util.function.BooleanSupplier done) throws InterruptedException {
        for (int i = 0; i < 100 && !done.getAsBoolean(); i++) {
            System.gc();
            Thread.sleep(100);
        }
        return done.getAsBoolean();
    }
}
