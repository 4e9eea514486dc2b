package dev.nexttoken.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nexttoken.core.GenerationOptions;
import dev.nexttoken.sampling.SamplingOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link GenerationSettings}: the options reach the executors whole. It copies the options field
 * by field, so an option added to {@code GenerationOptions} or {@code SamplingOptions} and not
 * to it would be dropped silently on Spark; the field lists below make that a test failure.
 */
class GenerationSettingsTest {

    /** Every field of GenerationOptions: carried, or (numSamples, traceTopN) refused unless at its default. */
    private static final Set<String> GENERATION_FIELDS = Set.of("maxNewTokens", "numSamples", "seed",
            "stopStrings", "stopAtEndOfText", "traceTopN", "allowSpecialTokens", "sampling");

    /**
     * Every field of SamplingOptions: carried, or refused (processors, sampler), or derived again
     * on the executor (endOfTextId: the builder sets it for minNewTokens, the run from its tokenizer).
     */
    private static final Set<String> SAMPLING_FIELDS = Set.of("temperature", "topK", "topP", "minP", "typicalP",
            "minTokensToKeep", "repetitionPenalty", "frequencyPenalty", "presencePenalty", "penaltyWindow",
            "noRepeatNgramSize", "logitBias", "bannedTokens", "bannedSequences", "minNewTokens", "endOfTextId",
            "processors", "sampler");

    @Test
    void everyOptionIsKnownToTheSettings() {
        assertEquals(new TreeSet<>(GENERATION_FIELDS), instanceFields(GenerationOptions.class),
                "GenerationOptions changed: carry the new option in GenerationSettings (or refuse it), then list it here");
        assertEquals(new TreeSet<>(SAMPLING_FIELDS), instanceFields(SamplingOptions.class),
                "SamplingOptions changed: carry the new option in GenerationSettings (or refuse it), then list it here");
    }

    @Test
    void everyBuiltInOptionSurvivesTheTripToAnExecutor() throws IOException, ClassNotFoundException {
        GenerationOptions rich = GenerationOptions.builder().maxNewTokens(5).temperature(0.7).topK(20).topP(0.9)
                .minP(0.05).typicalP(0.95).minTokensToKeep(3).repetitionPenalty(1.2).frequencyPenalty(0.1)
                .presencePenalty(0.2).penaltyWindow(64).noRepeatNgramSize(3).logitBias(13, -2.0).banTokens(50256)
                .banSequence(1, 2).minNewTokens(2).addStopString("\n").stopAtEndOfText(false)
                .allowSpecialTokens(true).seed(99).build();

        GenerationSettings travelled = serializeAndBack(new GenerationSettings(rich));
        GenerationOptions back = travelled.toOptions(99);

        assertEquals(rich.toString(), back.toString());
        assertEquals(rich.sampling(), back.sampling());
        assertEquals(rich.allowSpecialTokens(), back.allowSpecialTokens());
        assertEquals(99, travelled.seed());
    }

    private static Set<String> instanceFields(Class<?> type) {
        return Arrays.stream(type.getDeclaredFields())
                .filter(f -> !Modifier.isStatic(f.getModifiers()) && !f.isSynthetic())
                .map(Field::getName)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static GenerationSettings serializeAndBack(GenerationSettings settings)
            throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(settings);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (GenerationSettings) in.readObject();
        }
    }
}
