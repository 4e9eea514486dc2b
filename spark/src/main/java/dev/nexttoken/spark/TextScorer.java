package dev.nexttoken.spark;

import dev.nexttoken.core.Generator;
import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.ScoreResult;

import java.util.Arrays;

/**
 * Scores one row's text with a loaded model: the values of the columns {@link ScoreColumns}
 * adds. A row that cannot be scored gets nulls and its reason in {@code error}; only a
 * misconfiguration that no row could pass (a stride larger than the model's context) throws.
 */
final class TextScorer {

    private final Generator generator;
    private final ScoreOptions options;
    private final int stride;

    TextScorer(Generator generator, ScoreOptions options) {
        this.generator = generator;
        this.options = options;
        int window = generator.model().config().nPositions();
        this.stride = options.stride() == 0 ? window : options.stride();
        if (stride > window) {
            throw new IllegalArgumentException("stride must be in [1, " + window + "] (the model's n_positions), got "
                    + stride);
        }
    }

    /** The added column values for {@code value}: tokens, loss, perplexity, [token_logprobs], error. */
    Object[] score(Object value) {
        Object[] out = new Object[ScoreColumns.count(options)];
        try {
            ScoreResult result = scoreText(InputText.of(value));
            out[0] = result.tokens().length;
            out[1] = result.loss();
            out[2] = result.perplexity();
            if (options.tokenLogProbs()) {
                out[3] = Arrays.stream(result.tokenLosses()).map(loss -> -loss).toArray();
            }
        } catch (BadRowException | NextTokenException e) {
            out[out.length - 1] = e.getMessage();
        }
        return out;
    }

    /** The score of one text. */
    ScoreResult scoreText(String text) {
        int[] tokens = generator.tokenizer().encode(text);
        if (tokens.length < 2) {
            throw new BadRowException("the text is " + tokens.length + " token long: scoring needs at least 2");
        }
        return generator.score(tokens, stride);
    }
}
