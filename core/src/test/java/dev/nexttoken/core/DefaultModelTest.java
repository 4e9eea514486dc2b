package dev.nexttoken.core;

import dev.nexttoken.core.model.Gpt2Config;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default model (the {@code nexttoken-default-model} artifact, on this module's test class
 * path): {@link Generator#loadDefault()} finds it, extracts it once into the cache folder, reuses
 * and repairs that folder, and the model has learned English.
 */
class DefaultModelTest {

    @TempDir
    Path cache;
    private String previous;

    @BeforeEach
    void useTemporaryCache() {
        previous = System.getProperty(DefaultModel.CACHE_PROPERTY);
        System.setProperty(DefaultModel.CACHE_PROPERTY, cache.toString());
    }

    @AfterEach
    void restoreCache() {
        if (previous == null) {
            System.clearProperty(DefaultModel.CACHE_PROPERTY);
        } else {
            System.setProperty(DefaultModel.CACHE_PROPERTY, previous);
        }
    }

    @Test
    void loadDefaultExtractsOnceAndGenerates() throws IOException {
        assertTrue(DefaultModel.isAvailable());
        try (Generator gen = Generator.loadDefault()) {
            Gpt2Config config = gen.model().config();
            assertEquals(6, config.nLayer());
            assertEquals(160, config.nEmbd());
            GenerationResult result = gen.generate("The meaning of life is",
                    GenerationOptions.builder().maxNewTokens(30).stopAtEndOfText(false).seed(1).build());
            assertEquals(30, result.samples().get(0).tokens().length);
            assertTrue(result.text().chars().filter(Character::isLetter).count() > 20, result.text());
        }
        Path folder = DefaultModel.folder();
        assertEquals(cache, folder.getParent());
        assertTrue(folder.getFileName().toString().startsWith("default-model-"), folder.toString());
        long written = Files.getLastModifiedTime(folder.resolve("model.safetensors")).toMillis();
        assertEquals(folder, DefaultModel.folder(), "a second lookup reuses the folder");
        assertEquals(written, Files.getLastModifiedTime(folder.resolve("model.safetensors")).toMillis(),
                "reused, not written again");
        try (var entries = Files.list(cache)) {
            assertEquals(1, entries.count(), "no scratch folder is left behind");
        }
    }

    @Test
    void aDamagedCopyIsReplacedAndOlderModelsAreRemoved() throws IOException {
        Path folder = DefaultModel.folder();
        Files.write(folder.resolve("model.safetensors"), new byte[100]);       // e.g. a disk that filled up
        Path older = Files.createDirectories(cache.resolve("default-model-0123456789abcdef"));
        Files.writeString(older.resolve("config.json"), "{}");

        assertEquals(folder, DefaultModel.folder());
        assertTrue(Files.size(folder.resolve("model.safetensors")) > 1_000_000);
        assertFalse(Files.exists(older), "an older model's folder is cleaned up");
        try (Generator gen = Generator.load(folder)) {
            assertEquals(6, gen.model().config().nLayer());
        }
    }

    @Test
    void anUnwritableCacheSaysWhichPropertyToSet() throws IOException {
        Path file = Files.writeString(cache.resolve("not-a-folder"), "x");
        System.setProperty(DefaultModel.CACHE_PROPERTY, file.resolve("sub").toString());
        ModelLoadException e = assertThrows(ModelLoadException.class,
                DefaultModel::folder);
        assertTrue(e.getMessage().contains("-Dnexttoken.cache="), e.getMessage());
    }

    /** An English sentence is far less surprising to the trained model than the same tokens shuffled. */
    @Test
    void theDefaultModelPrefersEnglishToShuffledWords() {
        try (Generator gen = Generator.loadDefault()) {
            ScoreResult english = gen.score("A fool and his money are soon parted.");
            ScoreResult shuffled = gen.score("parted soon money fool. his A and are");
            assertTrue(english.loss() + 1.0 < shuffled.loss(),
                    english.loss() + " should be well below " + shuffled.loss());
        }
    }
}
