package dev.nexttoken.examples;

import dev.nexttoken.tokenizer.SpecialTokens;
import dev.nexttoken.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The input text of a command, given one of two ways (they exclude each other): {@code --start}
 * with a text or {@code FILE:path}, or {@code --tokens} with token ids.
 *
 * <p>Use it as an exclusive argument group: {@code @ArgGroup(exclusive = true, multiplicity = "1")}
 * when an input is required, {@code "0..1"} when it is optional (the field is then {@code null}
 * when neither option was given).
 */
public final class PromptInput {

    /** The prefix that makes {@code --start} read a file, as in nanoGPT's {@code sample.py}. */
    static final String FILE_PREFIX = "FILE:";

    @Option(names = "--start", paramLabel = "TEXT|FILE:path",
            description = {"The text. FILE:path reads it from a UTF-8 file instead, exactly as written,"
                    + " final line break included (nanoGPT's --start=FILE:prompt.txt)."})
    String start;

    @Option(names = "--tokens", split = ",", paramLabel = "ID",
            description = "GPT-2 token ids instead of a text, for example 15496,995 for \"Hello world\".")
    int[] tokens;

    /** The text read from {@code --start}, once read. */
    private String text;

    /**
     * The text of {@code --start}, read from its file for {@code FILE:path}.
     *
     * @return the text, or {@code null} if {@code --tokens} was given instead
     * @throws BadArgumentException if the file cannot be read or is not UTF-8
     */
    public String text() {
        if (start == null) {
            return null;
        }
        if (text == null) {
            text = start.startsWith(FILE_PREFIX) ? readFile(start.substring(FILE_PREFIX.length())) : start;
        }
        return text;
    }

    /**
     * The token ids: those of {@code --tokens}, or the text of {@code --start} encoded.
     *
     * @param tokenizer     GPT-2's tokenizer
     * @param specialTokens whether {@code <|endoftext|>} in the text is the end-of-text token
     * @return the token ids, in order; empty for an empty text
     * @throws BadArgumentException if an id is outside the vocabulary or the file cannot be read
     */
    public int[] ids(Tokenizer tokenizer, SpecialTokens specialTokens) {
        if (tokens == null) {
            return tokenizer.encode(text(), specialTokens);
        }
        for (int id : tokens) {
            if (id < 0 || id >= tokenizer.vocabSize()) {
                throw new BadArgumentException("--tokens: id " + id
                        + " is outside GPT-2's vocabulary [0, " + tokenizer.vocabSize() + ")");
            }
        }
        return tokens.clone();
    }

    private static String readFile(String name) {
        String option = "--start " + FILE_PREFIX + name;
        if (name.isEmpty()) {
            throw new BadArgumentException(option + ": give a path after " + FILE_PREFIX);
        }
        Path path;
        try {
            path = Path.of(name);
        } catch (InvalidPathException e) {
            throw new BadArgumentException(option + ": not a valid path (" + e.getReason() + ")", e);
        }
        Path absolute = path.toAbsolutePath();
        if (Files.isDirectory(path)) {
            throw new BadArgumentException(option + ": " + absolute + " is a directory, not a file");
        }
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadArgumentException(option + ": no such file: " + absolute, e);
        } catch (AccessDeniedException e) {
            throw new BadArgumentException(option + ": permission denied: " + absolute, e);
        } catch (CharacterCodingException e) {
            throw new BadArgumentException(option + ": " + absolute + " is not valid UTF-8", e);
        } catch (IOException e) {
            throw new BadArgumentException(option + ": cannot read " + absolute + ": " + e.getMessage(), e);
        }
    }
}
