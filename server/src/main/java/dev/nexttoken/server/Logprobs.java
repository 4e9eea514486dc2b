package dev.nexttoken.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's {@code logprobs} object of a completion choice, built token by token: parallel lists
 * {@code tokens} (each token's text), {@code token_logprobs} (its log-probability, null where
 * there is none, as for the first prompt token), {@code top_logprobs} (the most likely tokens of
 * that position, token → log-probability) and {@code text_offset} (where the token starts in the
 * choice's text).
 */
final class Logprobs {

    private final List<String> tokens = new ArrayList<>();
    private final List<Double> tokenLogprobs = new ArrayList<>();
    private final List<Map<String, Double>> topLogprobs = new ArrayList<>();
    private final List<Integer> textOffsets = new ArrayList<>();

    void add(String token, Double logprob, Map<String, Double> top, int textOffset) {
        tokens.add(token);
        tokenLogprobs.add(logprob);
        topLogprobs.add(top);
        textOffsets.add(textOffset);
    }

    void addAll(Logprobs other) {
        tokens.addAll(other.tokens);
        tokenLogprobs.addAll(other.tokenLogprobs);
        topLogprobs.addAll(other.topLogprobs);
        textOffsets.addAll(other.textOffsets);
    }

    ObjectNode toJson() {
        ObjectNode node = Json.MAPPER.createObjectNode();
        ArrayNode t = node.putArray("tokens");
        tokens.forEach(t::add);
        ArrayNode lp = node.putArray("token_logprobs");
        for (Double v : tokenLogprobs) {
            if (v == null) {
                lp.addNull();
            } else {
                lp.add(finite(v));
            }
        }
        ArrayNode top = node.putArray("top_logprobs");
        for (Map<String, Double> m : topLogprobs) {
            if (m == null) {
                top.addNull();
            } else {
                ObjectNode o = top.addObject();
                m.forEach((k, v) -> o.put(k, finite(v)));
            }
        }
        ArrayNode offsets = node.putArray("text_offset");
        textOffsets.forEach(offsets::add);
        return node;
    }

    /** JSON has no -inf: a removed token's log-probability is written as -9999, as vLLM does. */
    private static double finite(double v) {
        return Double.isFinite(v) ? v : -9999.0;
    }
}
