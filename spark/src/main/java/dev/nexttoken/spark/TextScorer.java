package dev.nexttoken.spark;

import dev.nexttoken.core.Generator;
import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.ScoreResult;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
            fill(out, scoreText(InputText.of(value)));
        } catch (BadRowException | NextTokenException e) {
            out[out.length - 1] = e.getMessage();
        }
        return out;
    }

    /** The added column values for each of {@code values}, the texts that can be scored going through the model together. */
    List<Object[]> scoreAll(List<Object> values) {
        List<Object[]> out = new ArrayList<>(values.size());
        List<int[]> sequences = new ArrayList<>();
        List<Integer> scorable = new ArrayList<>();
        for (Object value : values) {
            Object[] columns = new Object[ScoreColumns.count(options)];
            try {
                sequences.add(tokens(InputText.of(value)));
                scorable.add(out.size());
            } catch (BadRowException e) {
                columns[columns.length - 1] = e.getMessage();
            }
            out.add(columns);
        }
        try {
            List<ScoreResult> results = generator.score(sequences, stride);
            for (int i = 0; i < results.size(); i++) {
                fill(out.get(scorable.get(i)), results.get(i));
            }
        } catch (NextTokenException e) {                                            // NaN somewhere: find the rows alone
            for (int i = 0; i < sequences.size(); i++) {
                Object[] columns = out.get(scorable.get(i));
                try {
                    fill(columns, generator.score(sequences.get(i), stride));
                } catch (NextTokenException alone) {
                    columns[columns.length - 1] = alone.getMessage();
                }
            }
        }
        return out;
    }

    /** The score of one text. */
    ScoreResult scoreText(String text) {
        return generator.score(tokens(text), stride);
    }

    private int[] tokens(String text) {
        int[] tokens = generator.tokenizer().encode(text);
        if (tokens.length < 2) {
            throw new BadRowException("the text is " + tokens.length + " token long: scoring needs at least 2");
        }
        return tokens;
    }

    private void fill(Object[] out, ScoreResult result) {
        out[0] = result.tokens().length;
        out[1] = result.loss();
        out[2] = result.perplexity();
        if (options.tokenLogProbs()) {
            out[3] = Arrays.stream(result.tokenLosses()).map(loss -> -loss).toArray();
        }
    }
}
