package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nexttoken.tokenizer.SpecialTokens;
import dev.nexttoken.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads OpenAI's {@code prompt} field into token ids: a string, an array of strings, an array of
 * token ids, or an array of arrays of token ids; one {@code int[]} per prompt. Text is encoded with
 * {@code <|endoftext|>} as plain text (as {@code Generator.generate(String, ...)} does by default);
 * token ids must lie in the vocabulary; every prompt must fit the configured length.
 */
final class Prompts {

    private static final String FORMS = "a string, an array of strings, an array of token ids,"
            + " or an array of arrays of token ids";

    /** The most prompts one request may hold. */
    static final int MAX_PROMPTS = 64;

    private Prompts() {
    }

    static List<int[]> read(JsonNode prompt, Tokenizer tokenizer, int maxPromptTokens) {
        if (prompt == null) {
            throw ApiException.invalid("prompt", "prompt is required: " + FORMS);
        }
        List<int[]> prompts = new ArrayList<>();
        if (prompt.isTextual()) {
            prompts.add(tokenizer.encode(prompt.asText(), SpecialTokens.AS_TEXT));
        } else if (prompt.isArray()) {
            if (prompt.isEmpty()) {
                throw ApiException.invalid("prompt", "prompt must not be an empty array: " + FORMS);
            }
            JsonNode first = prompt.get(0);
            if (first.isIntegralNumber()) {
                prompts.add(ids(prompt, tokenizer, "prompt"));
            } else {
                if (prompt.size() > MAX_PROMPTS) {
                    throw ApiException.invalid("prompt", "prompt may hold at most " + MAX_PROMPTS + " prompts, got "
                            + prompt.size());
                }
                for (int i = 0; i < prompt.size(); i++) {
                    JsonNode item = prompt.get(i);
                    if (item.isTextual() && first.isTextual()) {
                        prompts.add(tokenizer.encode(item.asText(), SpecialTokens.AS_TEXT));
                    } else if (item.isArray() && first.isArray()) {
                        prompts.add(ids(item, tokenizer, "prompt[" + i + "]"));
                    } else {
                        throw ApiException.invalid("prompt", "prompt must be " + FORMS + "; element " + i + " is "
                                + RequestFields.kind(item));
                    }
                }
            }
        } else {
            throw ApiException.invalid("prompt", "prompt must be " + FORMS + ", got " + RequestFields.kind(prompt));
        }
        for (int[] ids : prompts) {
            if (ids.length > maxPromptTokens) {
                throw ApiException.invalid("prompt", "The prompt has " + ids.length + " tokens, more than this server's"
                        + " limit of " + maxPromptTokens + " (--max-prompt-tokens)");
            }
        }
        return prompts;
    }

    private static int[] ids(JsonNode array, Tokenizer tokenizer, String where) {
        int vocab = tokenizer.vocabSize();
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = array.get(i);
            if (!id.isIntegralNumber()) {
                throw ApiException.invalid("prompt", where + " must hold token ids (integers); element " + i + " is "
                        + RequestFields.kind(id));
            }
            long value = id.asLong();
            if (value < 0 || value >= vocab) {
                throw ApiException.invalid("prompt", "token id " + id.asText() + " in " + where
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
            ids[i] = (int) value;
        }
        return ids;
    }
}
