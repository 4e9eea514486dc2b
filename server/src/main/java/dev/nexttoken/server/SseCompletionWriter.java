package dev.nexttoken.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a completion as Server-Sent Events, as OpenAI streams it: one {@code data: {...}} event
 * per token (a {@code text_completion} chunk holding one choice), one with the
 * {@code finish_reason} when a choice ends, the {@code usage} chunk (empty {@code choices}) when
 * {@code stream_options.include_usage} is set, then {@code data: [DONE]}. Each event is flushed
 * at once; a write to a client that has gone throws, which cancels the generation.
 */
final class SseCompletionWriter implements CompletionSink {

    private final OutputStream out;
    private final CompletionJson json;
    private final boolean includeUsage;

    SseCompletionWriter(OutputStream out, CompletionJson json, boolean includeUsage) {
        this.out = out;
        this.json = json;
        this.includeUsage = includeUsage;
    }

    @Override
    public void text(int choice, String text, Logprobs logprobs) throws IOException {
        if (text.isEmpty() && logprobs == null) {
            return;
        }
        send(chunk(choice, text, logprobs, null));
    }

    @Override
    public void finish(int choice, String reason) throws IOException {
        send(chunk(choice, "", null, reason));
    }

    /** The usage chunk (when asked for) and {@code [DONE]}. */
    void end(CompletionRunner.Usage usage) throws IOException {
        if (includeUsage) {
            ObjectNode last = json.envelope();
            last.set("usage", CompletionJson.usage(usage));
            send(Json.write(last));
        }
        send("[DONE]");
    }

    /** An error after the events have begun: {@code data: {"error": {...}}}, then {@code [DONE]}. */
    void fail(ApiException e) {
        try {
            send(Json.error(e));
            send("[DONE]");
        } catch (IOException clientGone) {
            // nobody is left to tell
        }
    }

    private String chunk(int choice, String text, Logprobs logprobs, String reason) {
        ObjectNode node = json.envelope();
        CompletionJson.choice((ArrayNode) node.get("choices"), choice, text, logprobs, reason);
        if (includeUsage) {
            node.putNull("usage");
        }
        return Json.write(node);
    }

    private void send(String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
