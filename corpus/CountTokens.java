import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Counts GPT-2 tokens as {@code nexttoken train} does, for corpus/prepare.sh:
 *
 * <pre>
 *   java -cp jtokkit.jar corpus/CountTokens.java FILE...          one line "tokens bytes FILE" each
 *   java -cp jtokkit.jar corpus/CountTokens.java --split TRAIN VALID
 * </pre>
 *
 * <p>The tokenizer is jtokkit's r50k_base (GPT-2's BPE) with {@code encodeOrdinary}, which is what
 * the project's {@code Tokenizer.encode} calls (a literal {@code <|endoftext|>} is text). With
 * {@code --split}, it prints the {@code --val-fraction} that makes {@code nexttoken train --data
 * TRAIN VALID} hold out exactly VALID: train joins the files' tokens with one end-of-text token
 * between them and keeps the first {@code Math.round(n * (1 - f))} tokens for training, so the
 * fraction is chosen for that to be TRAIN's tokens plus the end-of-text token (checked here).
 */
public class CountTokens {
    public static void main(String[] args) throws Exception {
        Encoding gpt2 = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        if (args.length == 3 && args[0].equals("--split")) {
            long train = count(gpt2, Path.of(args[1]));
            long valid = count(gpt2, Path.of(args[2]));
            long n = train + 1 + valid;
            double fraction = (double) valid / n;
            if (Math.round(n * (1 - fraction)) != train + 1) {
                fraction = Math.nextUp(fraction);
                if (Math.round(n * (1 - fraction)) != train + 1) {
                    throw new IllegalStateException("no --val-fraction puts the cut at " + (train + 1) + " of " + n);
                }
            }
            System.out.printf(Locale.ROOT, "%d %d %d %s%n", train, valid, n, Double.toString(fraction));
            return;
        }
        for (String file : args) {
            Path path = Path.of(file);
            System.out.printf(Locale.ROOT, "%d %d %s%n", count(gpt2, path), Files.size(path), file);
        }
    }

    private static long count(Encoding gpt2, Path file) throws Exception {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException(file + " is not valid UTF-8", e);
        }
        return gpt2.encodeOrdinary(text).size();
    }
}
