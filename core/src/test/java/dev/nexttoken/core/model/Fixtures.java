package dev.nexttoken.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The reference fixtures copied from {@code ../shared/fixtures} into the test resources. */
public final class Fixtures {

    private static JsonNode expected;

    private Fixtures() {
    }

    /** The folder of a fixture model: {@code tiny} (F32) or {@code tiny-f16}. */
    public static Path modelDir(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code expected.json}, parsed once. */
    public static synchronized JsonNode expected() {
        if (expected == null) {
            try (var in = Fixtures.class.getResourceAsStream("/fixtures/expected.json")) {
                expected = new ObjectMapper().readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return expected;
    }

    /** A JSON array of integers as {@code int[]}. */
    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
