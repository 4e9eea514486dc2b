package dev.nexttoken.examples;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/**
 * The fixture model of the tests: a 2-layer GPT-2 with GPT-2's vocabulary and a 32-token window
 * (random weights), copied from core's fixtures into {@code src/test/resources/fixtures/tiny}.
 */
final class TinyModel {

    /** The prompt "The quick brown" as token ids. */
    static final String PROMPT_TOKENS = "464,2068,7586";

    /** The greedy continuation of {@link #PROMPT_TOKENS}: five new tokens. */
    static final int[] GREEDY_5 = {45349, 1258, 15310, 1920, 5604};

    private TinyModel() {
    }

    /** The model folder. */
    static Path dir() {
        URL url = TinyModel.class.getResource("/fixtures/tiny/config.json");
        if (url == null) {
            throw new IllegalStateException("fixtures/tiny is not on the test class path");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The model folder as a command-line value. */
    static String path() {
        return dir().toString();
    }
}
