package dev.nexttoken.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * Prints {@code --json} results: one JSON object on one line of standard output, written by
 * Jackson. Records serialise with their component names as keys; use {@code @JsonProperty} for
 * snake_case keys such as {@code finish_reason} and {@code @JsonPropertyOrder} to fix the order.
 */
public final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /**
     * Writes a value as one line of JSON and flushes.
     *
     * @param out   standard output of the command
     * @param value a record, map or list that Jackson can serialise
     */
    public static void print(PrintWriter out, Object value) {
        out.println(toJson(value));
        out.flush();
    }

    /**
     * A value as compact JSON text.
     *
     * @param value a record, map or list that Jackson can serialise
     * @return the JSON text, without a line break
     */
    public static String toJson(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
