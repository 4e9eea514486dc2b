package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nexttoken.core.GenerationOptions;
import org.junit.jupiter.api.Test;

/** The defaults that the help text names are the library's. */
class HelpDefaultsTest {

    @Test
    void helpNamesTheLibrarysDefaults() {
        GenerationOptions defaults = GenerationOptions.defaults();
        assertEquals(0.8, defaults.sampling().temperature());
        assertEquals(200, defaults.sampling().topK());
        assertEquals(1337L, defaults.seed());
        assertEquals(500, defaults.maxNewTokens());
        assertEquals(1, defaults.numSamples());
        assertEquals(1, defaults.sampling().minTokensToKeep());

        // picocli may wrap a line after any '.', so compare the words before "as sample.py" only
        String help = CliRun.run("generate", "--help").out().replaceAll("\\s+", " ");
        for (String text : new String[] {"Default 0.8,", "Default 200,", "Default 1337,",
            "Default 500,", "as one batch. Default 1.", "min_tokens_to_keep); default 1."}) {
            assertTrue(help.contains(text), text);
        }
    }
}
