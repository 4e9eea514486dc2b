package dev.nexttoken.examples;

import dev.nexttoken.tokenizer.SpecialTokens;
import dev.nexttoken.tokenizer.Tokenizer;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * The options that say which model reads which prompt, shared by {@code generate}, {@code next}
 * and {@code score} as a picocli mixin ({@code @Mixin PromptOptions prompt;}).
 *
 * <ul>
 *   <li>{@code --start TEXT|FILE:path} or {@code --tokens 1,2,3} (at most one of them):
 *       {@link #input}, {@code null} when neither was given;</li>
 *   <li>{@code --allow-special}: {@link #allowSpecial};</li>
 *   <li>{@code --model DIR}: {@link #model}, {@code null} for the default model.</li>
 * </ul>
 */
public final class PromptOptions {

    /** {@code --start} or {@code --tokens}; {@code null} when neither was given. */
    @ArgGroup(exclusive = true, multiplicity = "0..1")
    PromptInput input;

    /** {@code --allow-special}: {@code <|endoftext|>} in the text is the end-of-text token. */
    @Option(names = "--allow-special",
            description = "Read <|endoftext|> in the text as GPT-2's end-of-text token (id 50256)"
                    + " instead of as plain text (7 ordinary tokens).")
    boolean allowSpecial;

    /** {@code --model DIR}; {@code null} for the default model. */
    @Option(names = "--model", paramLabel = "DIR",
            description = "A Hugging Face GPT-2 folder (config.json and model.safetensors)."
                    + " Without it, the embedded default model, if this build has one.")
    Path model;

    /**
     * Whether a prompt was given with {@code --start} or {@code --tokens}.
     *
     * @return true if one of them was given
     */
    public boolean hasPrompt() {
        return input != null;
    }

    /**
     * The prompt's text: {@code --start}, read from its file for {@code FILE:path}.
     *
     * @return the text, or {@code null} if the prompt was given as {@code --tokens} or not at all
     * @throws BadArgumentException if the file cannot be read
     */
    public String promptText() {
        return input == null ? null : input.text();
    }

    /**
     * The prompt as token ids: {@code --tokens} as given, or {@code --start} encoded (with
     * {@code <|endoftext|>} as the special token only under {@code --allow-special}).
     *
     * @param tokenizer GPT-2's tokenizer
     * @return the prompt's token ids
     * @throws BadArgumentException if no prompt was given, a file cannot be read or an id is out
     *     of range
     */
    public int[] promptTokens(Tokenizer tokenizer) {
        if (input == null) {
            throw new BadArgumentException("no prompt: give --start TEXT, --start FILE:path or --tokens 1,2,3");
        }
        return input.ids(tokenizer, specialTokens());
    }

    /**
     * How {@code <|endoftext|>} in the text is encoded, from {@code --allow-special}.
     *
     * @return {@link SpecialTokens#ALLOWED} with {@code --allow-special}, else
     *     {@link SpecialTokens#AS_TEXT}
     */
    public SpecialTokens specialTokens() {
        return allowSpecial ? SpecialTokens.ALLOWED : SpecialTokens.AS_TEXT;
    }

    /**
     * The model folder of {@code --model}.
     *
     * @return the folder, or {@code null} for the default model
     */
    public Path model() {
        return model;
    }
}
