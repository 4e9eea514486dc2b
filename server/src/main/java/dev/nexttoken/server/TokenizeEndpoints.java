package dev.nexttoken.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nexttoken.tokenizer.SpecialTokens;
import dev.nexttoken.tokenizer.Tokenizer;

/**
 * llama.cpp's {@code POST /tokenize} ({@code {"content": "..."}} → {@code {"tokens": [...]}};
 * with {@code "with_pieces": true} each token is {@code {"id", "piece"}}) and
 * {@code POST /detokenize} ({@code {"tokens": [...]}} → {@code {"content": "..."}}).
 */
final class TokenizeEndpoints {

    private final Tokenizer tokenizer;

    TokenizeEndpoints(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    String tokenize(RequestFields fields) {
        String content = fields.string("content");
        if (content == null) {
            throw ApiException.invalid("content", "content is required: the text to tokenize");
        }
        Boolean special = fields.bool("add_special");
        Boolean parseSpecial = fields.bool("parse_special");
        Boolean withPieces = fields.bool("with_pieces");
        int[] ids = tokenizer.encode(content, parseSpecial != null && parseSpecial
                ? SpecialTokens.ALLOWED : SpecialTokens.AS_TEXT);
        if (special != null && special) {
            int[] withStart = new int[ids.length + 1];
            withStart[0] = tokenizer.endOfTextId();
            System.arraycopy(ids, 0, withStart, 1, ids.length);
            ids = withStart;
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode tokens = root.putArray("tokens");
        for (int id : ids) {
            if (withPieces != null && withPieces) {
                tokens.addObject().put("id", id).put("piece", tokenizer.piece(id));
            } else {
                tokens.add(id);
            }
        }
        return Json.write(root);
    }

    String detokenize(RequestFields fields) {
        JsonNode tokens = fields.node("tokens");
        if (tokens == null || !tokens.isArray()) {
            throw ApiException.invalid("tokens", "tokens is required: an array of token ids, got "
                    + (tokens == null ? "nothing" : RequestFields.kind(tokens)));
        }
        int vocab = tokenizer.vocabSize();
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = tokens.get(i);
            if (!id.isIntegralNumber() || id.asLong() < 0 || id.asLong() >= vocab) {
                throw ApiException.invalid("tokens", "tokens[" + i + "] must be a token id in [0, " + vocab + "), got "
                        + RequestFields.kind(id));
            }
            ids[i] = id.asInt();
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("content", tokenizer.decode(ids));
        return Json.write(root);
    }
}
