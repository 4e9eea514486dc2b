package dev.nexttoken.tokenizer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.List;

/** Reads the reference data in src/test/resources: tiktoken's ids and CPython's UTF-8 decoding. */
final class Fixtures {

    /** One string of tokens.json; {@code idsWithSpecialAllowed} is null unless it has {@code <|endoftext|>}. */
    record TokenString(String category, String text, String utf8Hex, int[] ids, int[] idsWithSpecialAllowed) {
        @Override
        public String toString() {
            return category + " " + quoted(text);
        }
    }

    /** One streaming-decode trace of tokens.json: the ids of a text and what each one emits. */
    record StreamingTrace(String category, String text, int[] ids, List<Step> steps) {
        @Override
        public String toString() {
            return category + " " + quoted(text);
        }
    }

    /** One step of a trace: the token fed, the text a correct decoder emits, the bytes it still holds. */
    record Step(int id, String bytesHex, String emitted, String pendingHex) {
    }

    /** tokens.json: tiktoken's ids for 43 strings and streaming traces. */
    record Tokens(List<TokenString> strings, List<StreamingTrace> streamingDecode) {
    }

    /** One case of utf8_replace.json: bytes and CPython's {@code decode("utf-8", "replace")} of them. */
    record Utf8Case(String hex, String text) {
        byte[] bytes() {
            return HexFormat.of().parseHex(hex);
        }

        @Override
        public String toString() {
            return hex;
        }
    }

    /** utf8_replace.json. */
    record Utf8Cases(String oracle, List<Utf8Case> cases) {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private static final Tokens TOKENS = read("/tokens.json", Tokens.class);
    private static final Utf8Cases UTF8 = read("/utf8_replace.json", Utf8Cases.class);

    private Fixtures() {
    }

    static Tokens tokens() {
        return TOKENS;
    }

    static Utf8Cases utf8() {
        return UTF8;
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static String quoted(String text) {
        String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
        return '"' + shown.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"';
    }

    private static <T> T read(String resource, Class<T> type) {
        try (InputStream in = Fixtures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return JSON.readValue(in, type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
