package dev.nexttoken.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;

/**
 * The fields of one JSON request body, read with their type and range checked: every reader
 * throws {@link ApiException#invalid} naming the field, what it must be, and what it got
 * ({@code top_p must be in (0, 1], got 1.5}). An absent field or JSON {@code null} reads as
 * "not given" (null), as OpenAI treats them.
 */
final class RequestFields {

    private final ObjectNode body;

    private RequestFields(ObjectNode body) {
        this.body = body;
    }

    /** Parses a body that must be one JSON object. */
    static RequestFields parse(String json) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "The request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || node.isMissingNode()) {
            throw ApiException.invalid(null, "The request body is empty; send a JSON object");
        }
        if (!node.isObject()) {
            throw ApiException.invalid(null, "The request body must be a JSON object, got " + kind(node));
        }
        return new RequestFields((ObjectNode) node);
    }

    /** The raw node of {@code name}, or null when absent or JSON null. */
    JsonNode node(String name) {
        JsonNode node = body.get(name);
        return node == null || node.isNull() ? null : node;
    }

    boolean has(String name) {
        return node(name) != null;
    }

    String string(String name) {
        JsonNode node = node(name);
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            throw ApiException.invalid(name, name + " must be a string, got " + kind(node));
        }
        return node.asText();
    }

    Boolean bool(String name) {
        JsonNode node = node(name);
        if (node == null) {
            return null;
        }
        if (!node.isBoolean()) {
            throw ApiException.invalid(name, name + " must be true or false, got " + kind(node));
        }
        return node.asBoolean();
    }

    /** An integer in {@code [min, max]}, or null. */
    Integer integer(String name, int min, int max) {
        Long value = longValue(name);
        if (value == null) {
            return null;
        }
        if (value < min || value > max) {
            throw ApiException.invalid(name, name + " must be in [" + min + ", " + max + "], got " + value);
        }
        return value.intValue();
    }

    /** Any integer that fits a long, or null. */
    Long longValue(String name) {
        JsonNode node = node(name);
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber() && !(node.isNumber() && node.asDouble() == Math.rint(node.asDouble()))) {
            throw ApiException.invalid(name, name + " must be an integer, got " + kind(node));
        }
        if (!node.canConvertToLong()) {
            throw ApiException.invalid(name, name + " must fit in 64 bits, got " + node.asText());
        }
        return node.asLong();
    }

    /** A finite number, or null. */
    Double number(String name) {
        JsonNode node = node(name);
        if (node == null) {
            return null;
        }
        if (!node.isNumber()) {
            throw ApiException.invalid(name, name + " must be a number, got " + kind(node));
        }
        double value = node.asDouble();
        if (!Double.isFinite(value)) {
            throw ApiException.invalid(name, name + " must be finite, got " + node.asText());
        }
        return value;
    }

    /** A number checked against a range written as in the message, e.g. {@code "(0, 1]"}. */
    Double number(String name, double min, boolean minInclusive, double max, boolean maxInclusive) {
        Double value = number(name);
        if (value == null) {
            return null;
        }
        boolean aboveMin = minInclusive ? value >= min : value > min;
        boolean belowMax = maxInclusive ? value <= max : value < max;
        if (!aboveMin || !belowMax) {
            if (Double.isInfinite(max)) {
                throw ApiException.invalid(name, name + " must be " + (minInclusive ? ">= " : "> ") + format(min)
                        + ", got " + format(value));
            }
            throw ApiException.invalid(name, name + " must be in " + (minInclusive ? "[" : "(") + format(min) + ", "
                    + format(max) + (maxInclusive ? "]" : ")") + ", got " + format(value));
        }
        return value;
    }

    /** How a JSON value is described in messages: its type and, when short, the value. */
    static String kind(JsonNode node) {
        String text = node.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        String type = node.isTextual() ? "a string" : node.isArray() ? "an array" : node.isObject() ? "an object"
                : node.isBoolean() ? "a boolean" : node.isNumber() ? "a number" : "null";
        return type + " (" + shown + ")";
    }

    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15
                ? String.valueOf((long) value) : String.format(Locale.ROOT, "%s", value);
    }
}
