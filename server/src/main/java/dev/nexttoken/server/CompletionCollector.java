package dev.nexttoken.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Collects a whole completion into OpenAI's non-streamed response. */
final class CompletionCollector implements CompletionSink {

    private final StringBuilder[] texts;
    private final Logprobs[] logprobs;
    private final String[] reasons;

    CompletionCollector(int choices, boolean withLogprobs) {
        texts = new StringBuilder[choices];
        logprobs = new Logprobs[choices];
        reasons = new String[choices];
        for (int i = 0; i < choices; i++) {
            texts[i] = new StringBuilder();
            logprobs[i] = withLogprobs ? new Logprobs() : null;
        }
    }

    @Override
    public void text(int choice, String text, Logprobs more) {
        texts[choice].append(text);
        if (more != null) {
            logprobs[choice].addAll(more);
        }
    }

    @Override
    public void finish(int choice, String reason) {
        reasons[choice] = reason;
    }

    /** The response: {@code {id, object, created, model, choices, usage}}. */
    ObjectNode response(CompletionJson json, CompletionRunner.Usage usage) {
        ObjectNode root = json.envelope();
        ArrayNode choices = (ArrayNode) root.get("choices");
        for (int i = 0; i < texts.length; i++) {
            CompletionJson.choice(choices, i, texts[i].toString(), logprobs[i], reasons[i]);
        }
        root.set("usage", CompletionJson.usage(usage));
        return root;
    }
}
