package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parses a Server-Sent Events body strictly: every event is one {@code data: } line and a blank line. */
final class SseEvents {

    private SseEvents() {
    }

    /** The JSON events before {@code data: [DONE]}, which must be the last event. */
    static List<JsonNode> parse(String body) {
        String[] events = body.split("\n\n", -1);
        assertEquals("", events[events.length - 1], "the body ends with a blank line");
        assertEquals("data: [DONE]", events[events.length - 2]);
        List<JsonNode> out = new ArrayList<>();
        for (int i = 0; i < events.length - 2; i++) {
            String event = events[i];
            assertTrue(event.startsWith("data: ") && !event.contains("\n"), "one data line per event: " + event);
            try {
                out.add(Json.MAPPER.readTree(event.substring("data: ".length())));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }
}
