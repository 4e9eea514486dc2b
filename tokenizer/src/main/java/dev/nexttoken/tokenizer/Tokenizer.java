package dev.nexttoken.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * GPT-2's tokenizer: byte-level BPE with the {@code r50k_base} ranks (OpenAI's tiktoken
 * {@code "gpt2"} encoding), backed by jtokkit.
 *
 * <p>Token ids run from 0 to 50256; the last one, 50256, is {@code <|endoftext|>}. Every method
 * that takes an id rejects one outside that range with an {@link IllegalArgumentException}.
 *
 * <p>Instances are immutable and thread-safe; {@link #gpt2()} returns one shared instance.
 *
 * <pre>{@code
 * Tokenizer tokenizer = Tokenizer.gpt2();
 * int[] ids = tokenizer.encode("Hello, my name is");   // [15496, 11, 616, 1438, 318]
 * String text = tokenizer.decode(ids);                  // "Hello, my name is"
 * }</pre>
 */
public final class Tokenizer {

    /** Number of token ids of GPT-2: 50,000 merges, 256 byte tokens and {@code <|endoftext|>}. */
    private static final int VOCAB_SIZE = 50257;

    /** Id of {@code <|endoftext|>}, the token GPT-2 was trained to put between documents. */
    private static final int END_OF_TEXT_ID = 50256;

    private static final String END_OF_TEXT = "<|endoftext|>";

    private final Encoding encoding;
    /** The bytes of every token, indexed by id; never handed out without copying. */
    private final byte[][] tokenBytes;

    private Tokenizer(Encoding encoding) {
        this.encoding = encoding;
        this.tokenBytes = new byte[VOCAB_SIZE][];
        IntArrayList single = new IntArrayList(1);
        single.add(0);
        for (int id = 0; id < VOCAB_SIZE; id++) {
            single.set(0, id);
            tokenBytes[id] = encoding.decodeBytes(single);
        }
    }

    /** Loads the encoding once, on first use of {@link #gpt2()}. */
    private static final class Gpt2 {
        static final Tokenizer INSTANCE = new Tokenizer(
                Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE));
    }

    /**
     * The GPT-2 tokenizer. The first call loads the vocabulary (a fraction of a second); later
     * calls return the same immutable, thread-safe instance.
     *
     * @return the shared GPT-2 tokenizer
     */
    public static Tokenizer gpt2() {
        return Gpt2.INSTANCE;
    }

    /**
     * Encodes text with {@code <|endoftext|>} treated as plain text, the safe choice for user
     * input. Same as {@code encode(text, SpecialTokens.AS_TEXT)}.
     *
     * @param text the text to encode; may be empty
     * @return the token ids, empty for empty text
     */
    public int[] encode(String text) {
        return encode(text, SpecialTokens.AS_TEXT);
    }

    /**
     * Encodes text, choosing whether the literal {@code <|endoftext|>} becomes the end-of-text
     * token. With {@link SpecialTokens#ALLOWED} the text is split at each occurrence, the parts
     * are encoded as ordinary text and 50256 is put between them, as tiktoken does with the token
     * allowed.
     *
     * <p>{@code decode(encode(text))} equals {@code text} for every valid Unicode string. A Java
     * string can also hold unpaired surrogates, which are not characters and have no UTF-8 form:
     * each is encoded as U+FFFD (the replacement character), as tiktoken does.
     *
     * @param text the text to encode; may be empty
     * @param specialTokens how to treat {@code <|endoftext|>} in the text
     * @return the token ids, empty for empty text
     */
    public int[] encode(String text, SpecialTokens specialTokens) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(specialTokens, "specialTokens");
        text = withLoneSurrogatesReplaced(text);
        if (specialTokens == SpecialTokens.AS_TEXT) {
            // jtokkit's encode() throws on special tokens; encodeOrdinary() treats them as text.
            return encoding.encodeOrdinary(text).toArray();
        }
        IntArrayList ids = new IntArrayList();
        int start = 0;
        int marker;
        while ((marker = text.indexOf(END_OF_TEXT, start)) >= 0) {
            appendOrdinary(text.substring(start, marker), ids);
            ids.add(END_OF_TEXT_ID);
            start = marker + END_OF_TEXT.length();
        }
        appendOrdinary(text.substring(start), ids);
        return ids.toArray();
    }

    /**
     * The text with every unpaired surrogate replaced by U+FFFD; the same instance when it has
     * none. (jtokkit's UTF-8 conversion would turn one into {@code '?'}, a real question mark.)
     */
    private static String withLoneSurrogatesReplaced(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;                                                       // a valid pair
                continue;
            }
            if (out == null) {
                out = new StringBuilder(text);
            }
            out.setCharAt(i, '\uFFFD');
        }
        return out == null ? text : out.toString();
    }

    private void appendOrdinary(String part, IntArrayList ids) {
        if (part.isEmpty()) {
            return;
        }
        IntArrayList partIds = encoding.encodeOrdinary(part);
        for (int i = 0; i < partIds.size(); i++) {
            ids.add(partIds.get(i));
        }
    }

    /**
     * Decodes token ids to text; 50256 decodes to {@code <|endoftext|>}. Bytes that are not valid
     * UTF-8 (for instance half of an emoji cut off by a token boundary) become U+FFFD, one per
     * maximal ill-formed subpart: the Unicode Standard's recommended practice, as Python's
     * {@code errors="replace"} and browsers do. The result always equals what a
     * {@link StreamingDecoder} fed the same ids returns, flush included.
     *
     * @param ids token ids, each in [0, 50257)
     * @return the text
     * @throws IllegalArgumentException if an id is outside the vocabulary
     */
    public String decode(int[] ids) {
        Objects.requireNonNull(ids, "ids");
        Utf8Decoder utf8 = new Utf8Decoder(Utf8Decoder.InvalidBytes.REPLACE);
        StringBuilder out = new StringBuilder(ids.length * 4);
        for (int id : ids) {
            utf8.decode(bytesOf(id), out);
        }
        utf8.finish(out);
        return out.toString();
    }

    /**
     * The raw bytes of one token. GPT-2's tokens are byte sequences, not characters: a token can
     * hold part of a UTF-8 character, so these bytes need not be valid UTF-8 on their own.
     *
     * @param id a token id in [0, 50257)
     * @return a new array with the token's bytes
     * @throws IllegalArgumentException if the id is outside the vocabulary
     */
    public byte[] tokenBytes(int id) {
        return bytesOf(id).clone();
    }

    /**
     * The text of one token, for display (for instance a table of how a text was split). Valid
     * UTF-8 in the token is shown as its characters; every byte that is not part of a complete
     * valid character is shown as {@code \xNN} with two lower-case hex digits: token 41840, the
     * first three of the four bytes of "👨" ({@code F0 9F 91 A8}), reads {@code \xf0\x9f\x91}.
     * This is not reversible; use {@link #tokenBytes(int)} for the exact bytes.
     *
     * @param id a token id in [0, 50257)
     * @return the token's display text
     * @throws IllegalArgumentException if the id is outside the vocabulary
     */
    public String piece(int id) {
        Utf8Decoder decoder = new Utf8Decoder(Utf8Decoder.InvalidBytes.ESCAPE);
        StringBuilder out = new StringBuilder();
        decoder.decode(bytesOf(id), out);
        decoder.finish(out);
        return out.toString();
    }

    /**
     * The ids of every token whose text matches {@code test}, ascending: the way to ban tokens
     * by what they say instead of by id. Each token is decoded on its own, as {@link #decode}
     * does (bytes that are not a whole UTF-8 character become U+FFFD, so the {@code \xNN} of
     * {@link #piece(int)} never matches by accident); 50256 is tested as {@code <|endoftext|>}.
     *
     * <pre>{@code
     * int[] digits = tokenizer.tokensWhere(text -> text.chars().anyMatch(Character::isDigit));
     * GenerationOptions options = GenerationOptions.builder().banTokens(digits).build();
     * }</pre>
     *
     * @param test what a token's text must satisfy
     * @return the matching ids, ascending; empty when none matches
     */
    public int[] tokensWhere(Predicate<String> test) {
        Objects.requireNonNull(test, "test");
        return IntStream.range(0, VOCAB_SIZE).filter(id -> test.test(decode(new int[] {id}))).toArray();
    }

    /**
     * A new decoder that turns ids generated one at a time into text without splitting UTF-8
     * characters. Use one per stream of tokens.
     *
     * @return a new streaming decoder over this tokenizer's vocabulary
     */
    public StreamingDecoder newStreamingDecoder() {
        return new StreamingDecoder(this);
    }

    /**
     * The number of token ids, 50257: valid ids are 0 to 50256.
     *
     * @return the vocabulary size
     */
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    /**
     * The id of {@code <|endoftext|>}, 50256: GPT-2's document separator, a
     * natural stop token and the usual start token for unconditional generation.
     *
     * @return the end-of-text id
     */
    public int endOfTextId() {
        return END_OF_TEXT_ID;
    }

    /** The token's bytes without copying: callers in this package must not modify them. */
    byte[] bytesOf(int id) {
        if (id < 0 || id >= VOCAB_SIZE) {
            throw new IllegalArgumentException(
                    "token id " + id + " is outside the vocabulary [0, " + VOCAB_SIZE + ")");
        }
        return tokenBytes[id];
    }

    @Override
    public String toString() {
        return "Tokenizer[" + encoding.getName() + ", vocabSize=" + VOCAB_SIZE + "]";
    }
}
