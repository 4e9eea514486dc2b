package dev.nexttoken.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * OpenAI's {@code text_completion} objects: the response and the streamed chunks share
 * {@code id}, {@code object}, {@code created} and {@code model}.
 */
final class CompletionJson {

    private final String id;
    private final long created;
    private final String model;

    CompletionJson(String id, long created, String model) {
        this.id = id;
        this.created = created;
        this.model = model;
    }

    /** {@code {id, object, created, model, choices: []}}. */
    ObjectNode envelope() {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("id", id);
        node.put("object", "text_completion");
        node.put("created", created);
        node.put("model", model);
        node.putArray("choices");
        return node;
    }

    /** Adds {@code {text, index, logprobs, finish_reason}} to {@code choices}. */
    static void choice(ArrayNode choices, int index, String text, Logprobs logprobs, String finishReason) {
        ObjectNode choice = choices.addObject();
        choice.put("text", text);
        choice.put("index", index);
        if (logprobs == null) {
            choice.putNull("logprobs");
        } else {
            choice.set("logprobs", logprobs.toJson());
        }
        choice.put("finish_reason", finishReason);
    }

    /** {@code {prompt_tokens, completion_tokens, total_tokens}}. */
    static ObjectNode usage(CompletionRunner.Usage usage) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("prompt_tokens", usage.promptTokens());
        node.put("completion_tokens", usage.completionTokens());
        node.put("total_tokens", usage.promptTokens() + usage.completionTokens());
        return node;
    }
}
