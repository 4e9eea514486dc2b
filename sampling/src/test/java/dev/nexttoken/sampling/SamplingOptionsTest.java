package dev.nexttoken.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class SamplingOptionsTest {

    private static void assertMessage(String expected, Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }

    @Test
    void defaultsAreNanoGpts() {
        SamplingOptions o = SamplingOptions.builder().build();
        assertEquals(0.8, o.temperature());
        assertEquals(200, o.topK());
        assertEquals(1.0, o.topP());
        assertEquals(0.0, o.minP());
        assertEquals(1.0, o.typicalP());
        assertEquals(1.0, o.repetitionPenalty());
        assertEquals(0, o.minNewTokens());
        assertTrue(o.endOfTextId().isEmpty());
        assertTrue(o.sampler().isEmpty());
        assertEquals(SamplingOptions.nanoGpt(), o);
        assertEquals("SamplingOptions[temperature=0.8, top_k=200]", o.toString());
    }

    @Test
    void greedyPreset() {
        SamplingOptions g = SamplingOptions.greedy();
        assertTrue(g.isGreedy());
        assertEquals(0, g.topK());
        assertFalse(SamplingOptions.nanoGpt().isGreedy());
    }

    @Test
    void toBuilderRoundTrips() {
        SamplingOptions o = SamplingOptions.builder().temperature(1.2).topK(0).topP(0.9).minP(0.05).typicalP(0.95)
                .repetitionPenalty(1.3).frequencyPenalty(0.2).presencePenalty(-0.1).penaltyWindow(64)
                .noRepeatNgramSize(3).logitBias(5, -2.0).banTokens(7, 8).banSequence(1, 2).minNewTokens(4)
                .endOfTextId(50256).build();
        assertEquals(o, o.toBuilder().build());
        assertEquals(o.hashCode(), o.toBuilder().build().hashCode());
        assertNotEquals(o, o.toBuilder().topP(0.8).build());
        assertEquals(Map.of(5, -2.0), o.logitBias());
        assertEquals(Set.of(7, 8), o.bannedTokens());
        assertEquals(1, o.bannedSequences().size());
        assertEquals(50256, o.endOfTextId().getAsInt());
    }

    @Test
    void optionsAreImmutable() {
        int[] sequence = {1, 2};
        SamplingOptions.Builder b = SamplingOptions.builder().banSequence(sequence);
        SamplingOptions o = b.build();
        sequence[0] = 9;
        o.bannedSequences().get(0)[1] = 9;
        b.banTokens(3);
        assertEquals(List.of(1, 2), List.of(o.bannedSequences().get(0)[0], o.bannedSequences().get(0)[1]));
        assertTrue(o.bannedTokens().isEmpty());
        assertThrows(UnsupportedOperationException.class, () -> o.logitBias().put(1, 1.0));
    }

    @Test
    void settersStateTheValidRange() {
        SamplingOptions.Builder b = SamplingOptions.builder();
        assertMessage("temperature must be >= 0 and finite (0 = greedy), got -0.5", () -> b.temperature(-0.5));
        assertMessage("temperature must be >= 0 and finite (0 = greedy), got NaN", () -> b.temperature(Double.NaN));
        assertMessage("top_k must be >= 0 (0 = off), got -1", () -> b.topK(-1));
        assertMessage("top_p must be in (0, 1], got 1.5", () -> b.topP(1.5));
        assertMessage("top_p must be in (0, 1], got 0.0", () -> b.topP(0));
        assertMessage("min_p must be in [0, 1], got 2.0", () -> b.minP(2));
        assertMessage("typical_p must be in (0, 1], got 0.0", () -> b.typicalP(0));
        assertMessage("repetition_penalty must be > 0 and finite (1 = off), got 0.0", () -> b.repetitionPenalty(0));
        assertMessage("frequency_penalty must be finite (0 = off), got Infinity",
                () -> b.frequencyPenalty(Double.POSITIVE_INFINITY));
        assertMessage("presence_penalty must be finite (0 = off), got NaN", () -> b.presencePenalty(Double.NaN));
        assertMessage("penalty_window must be >= 0 (0 = whole history), got -5", () -> b.penaltyWindow(-5));
        assertMessage("no_repeat_ngram_size must be >= 0 (0 = off), got -2", () -> b.noRepeatNgramSize(-2));
        assertMessage("logit_bias token ids must be >= 0, got -1", () -> b.logitBias(-1, 1.0));
        assertMessage("banned token ids must be >= 0, got -4", () -> b.banTokens(1, -4));
        assertMessage("a banned sequence must hold at least one token id", () -> b.banSequence());
        assertMessage("min_new_tokens must be >= 0 (0 = off), got -1", () -> b.minNewTokens(-1));
        assertMessage("end_of_text_id must be >= 0, got -1", () -> b.endOfTextId(-1));
        // the failed calls left the builder as it was
        assertEquals(SamplingOptions.nanoGpt(), b.build());
    }

    @Test
    void minNewTokensNeedsTheEndOfTextId() {
        assertMessage("min_new_tokens = 5 needs the end-of-text token id: call endOfTextId(id) (GPT-2: 50256)",
                () -> SamplingOptions.builder().minNewTokens(5).build());
    }
}
