package dev.nexttoken.spark;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A row's text as a {@code String}, from a string or a binary (UTF-8 bytes) column; what is not
 * text is a {@link BadRowException} whose message becomes the row's {@code error}.
 */
final class InputText {

    private InputText() {
    }

    /**
     * The text of {@code value}.
     *
     * @throws BadRowException if it is null, empty, not valid UTF-8, or not text at all
     */
    static String of(Object value) {
        String text;
        if (value == null) {
            throw new BadRowException("the text is null");
        } else if (value instanceof String s) {
            text = s;
        } else if (value instanceof byte[] bytes) {
            text = utf8(bytes);
        } else {
            throw new BadRowException("the column holds " + value.getClass().getSimpleName() + ", not text");
        }
        if (text.isEmpty()) {
            throw new BadRowException("the text is empty");
        }
        return text;
    }

    private static String utf8(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadRowException("the text is not valid UTF-8 (" + e.getMessage() + ")");
        }
    }
}
