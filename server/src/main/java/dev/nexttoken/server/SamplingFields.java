package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.core.GenerationOptions;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The request fields that choose the next token, shared by {@code /v1/completions} and
 * {@code /v1/next}, mapped onto {@link GenerationOptions}. OpenAI's defaults apply, not the
 * library's nanoGPT ones: temperature 1 and no top-k unless asked for.
 *
 * <table>
 * <caption>field → library option</caption>
 * <tr><td>temperature [0, ∞), default 1 (0 = greedy)</td><td>{@code temperature}</td></tr>
 * <tr><td>top_p (0, 1]</td><td>{@code topP}</td></tr>
 * <tr><td>top_k (vLLM; 0 or -1 = off)</td><td>{@code topK}</td></tr>
 * <tr><td>min_p [0, 1], typical_p (0, 1]</td><td>{@code minP}, {@code typicalP}</td></tr>
 * <tr><td>repetition_penalty (0, ∞)</td><td>{@code repetitionPenalty}</td></tr>
 * <tr><td>presence_penalty, frequency_penalty [-2, 2]</td><td>{@code presencePenalty}, {@code frequencyPenalty}</td></tr>
 * <tr><td>logit_bias {"id": [-100, 100]}</td><td>{@code logitBias}</td></tr>
 * <tr><td>seed (any integer; default: a random one)</td><td>{@code seed}</td></tr>
 * </table>
 */
final class SamplingFields {

    private SamplingFields() {
    }

    /** Sets the sampling fields of {@code fields} on {@code options}; returns the seed used. */
    static long apply(RequestFields fields, GenerationOptions.Builder options, int vocabSize) {
        options.temperature(1.0).topK(0);
        Double temperature = fields.number("temperature", 0, true, Double.POSITIVE_INFINITY, true);
        if (temperature != null) {
            options.temperature(temperature);
        }
        Double topP = fields.number("top_p", 0, false, 1, true);
        if (topP != null) {
            options.topP(topP);
        }
        Integer topK = fields.integer("top_k", -1, Integer.MAX_VALUE);
        if (topK != null) {
            options.topK(Math.max(0, topK));
        }
        Double minP = fields.number("min_p", 0, true, 1, true);
        if (minP != null) {
            options.minP(minP);
        }
        Double typicalP = fields.number("typical_p", 0, false, 1, true);
        if (typicalP != null) {
            options.typicalP(typicalP);
        }
        Double repetition = fields.number("repetition_penalty", 0, false, Double.POSITIVE_INFINITY, true);
        if (repetition != null) {
            options.repetitionPenalty(repetition);
        }
        Double presence = fields.number("presence_penalty", -2, true, 2, true);
        if (presence != null) {
            options.presencePenalty(presence);
        }
        Double frequency = fields.number("frequency_penalty", -2, true, 2, true);
        if (frequency != null) {
            options.frequencyPenalty(frequency);
        }
        Map<Integer, Double> bias = logitBias(fields.node("logit_bias"), vocabSize);
        if (!bias.isEmpty()) {
            options.logitBias(bias);
        }
        Long seed = fields.longValue("seed");
        long used = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        options.seed(used);
        return used;
    }

    /** OpenAI's {@code logit_bias}: token ids as keys (strings in JSON), biases in [-100, 100]. */
    private static Map<Integer, Double> logitBias(JsonNode node, int vocabSize) {
        Map<Integer, Double> bias = new TreeMap<>();
        if (node == null) {
            return bias;
        }
        if (!node.isObject()) {
            throw ApiException.invalid("logit_bias", "logit_bias must be an object mapping token ids to biases in"
                    + " [-100, 100], got " + RequestFields.kind(node));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey().trim());
            } catch (NumberFormatException ex) {
                throw ApiException.invalid("logit_bias", "logit_bias keys must be token ids, got \"" + e.getKey() + "\"");
            }
            if (id < 0 || id >= vocabSize) {
                throw ApiException.invalid("logit_bias", "logit_bias token id " + id + " is outside the vocabulary [0, "
                        + vocabSize + ")");
            }
            JsonNode value = e.getValue();
            if (!value.isNumber() || value.asDouble() < -100 || value.asDouble() > 100) {
                throw ApiException.invalid("logit_bias", "logit_bias values must be numbers in [-100, 100], got "
                        + RequestFields.kind(value) + " for token " + id);
            }
            bias.put(id, value.asDouble());
        }
        return bias;
    }
}
