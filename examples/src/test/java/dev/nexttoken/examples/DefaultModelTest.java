package dev.nexttoken.examples;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.core.GenerationResult;
import dev.nexttoken.core.Generator;
import dev.nexttoken.core.ScoreResult;
import dev.nexttoken.core.model.Gpt2Config;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model bundled in the jar: it is found, loads like any GPT-2, and has learned English. */
class DefaultModelTest {

    @Test
    void theBundledModelIsFoundAndLoads() {
        Path dir = DefaultModel.locate().orElseThrow();
        assertTrue(Files.isRegularFile(dir.resolve("config.json")));
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
        try (Generator gen = Generator.load(dir)) {
            Gpt2Config config = gen.model().config();
            assertEquals(4, config.nLayer());
            assertEquals(128, config.nEmbd());
            GenerationResult result = gen.generate("The meaning of life is",
                    GenerationOptions.builder().maxNewTokens(30).stopAtEndOfText(false).seed(1).build());
            assertEquals(30, result.samples().get(0).tokens().length);
            assertTrue(result.text().chars().filter(Character::isLetter).count() > 20, result.text());
        }
        assertEquals(dir, DefaultModel.locate().orElseThrow(), "a second lookup reuses the copy");
    }

    /** An English sentence is far less surprising to the trained model than the same tokens shuffled. */
    @Test
    void theBundledModelPrefersEnglishToShuffledWords() {
        try (Generator gen = Generator.load(DefaultModel.locate().orElseThrow())) {
            ScoreResult english = gen.score("A fool and his money are soon parted.");
            ScoreResult shuffled = gen.score("parted soon money fool. his A and are");
            assertTrue(english.loss() + 1.0 < shuffled.loss(),
                    english.loss() + " should be well below " + shuffled.loss());
        }
    }
}
