package dev.nexttoken.sampling;

import java.util.Collections;
import java.util.List;

/**
 * What a {@link LogitsProcessor} may know about the step it processes: for each row (sequence) of
 * the batch the tokens so far, prompt included, and the prompt length; the number of new tokens
 * already generated; the vocabulary size. Read-only.
 *
 * <p>Rows may have histories of different lengths. {@link #tokens(int)} returns a fresh copy the
 * caller may keep or change; {@link #length(int)} and {@link #token(int, int)} read without copying,
 * which is what processors that look at the last few tokens should use.
 *
 * <p>{@link #of(int, int, List, int[])} builds the immutable implementation the generator creates
 * each step (it copies the histories: O(total tokens), microseconds for usual lengths). A caller
 * that already holds the histories in its own arrays may implement this interface instead.
 */
public interface LogitsContext {

    /** @return the number of rows (sequences) in the batch, at least 1 */
    int batchSize();

    /** @return the vocabulary size: the number of logits per row */
    int vocabSize();

    /** @return the number of new tokens generated so far in this call (0 at the first step) */
    int step();

    /**
     * @param row the row, in {@code [0, batchSize())}
     * @return the number of tokens of the row so far, prompt included
     */
    int length(int row);

    /**
     * @param row the row, in {@code [0, batchSize())}
     * @param position the position, in {@code [0, length(row))}
     * @return the token id at that position of the row
     */
    int token(int row, int position);

    /**
     * @param row the row, in {@code [0, batchSize())}
     * @return a copy of the row's tokens so far, prompt first
     */
    int[] tokens(int row);

    /**
     * @param row the row, in {@code [0, batchSize())}
     * @return how many of the row's first tokens are the prompt
     */
    int promptLength(int row);

    /**
     * @param row the row, in {@code [0, batchSize())}
     * @return the number of tokens generated for the row: {@code length(row) - promptLength(row)}
     */
    default int newTokenCount(int row) {
        return length(row) - promptLength(row);
    }

    /**
     * An immutable context over copies of the given histories.
     *
     * @param vocabSize the vocabulary size, at least 1
     * @param step the number of new tokens generated so far, at least 0
     * @param tokensPerRow for each row the tokens so far, prompt included; ids in {@code [0, vocabSize)}
     * @param promptLengths for each row the prompt length, in {@code [0, tokens.length]}
     * @return the context
     * @throws IllegalArgumentException if an argument is out of range
     */
    static LogitsContext of(int vocabSize, int step, List<int[]> tokensPerRow, int[] promptLengths) {
        return new ImmutableLogitsContext(vocabSize, step, tokensPerRow, promptLengths);
    }

    /**
     * A context without history: {@code batchSize} rows with no tokens, step 0. Enough for processors
     * that only look at the logits (temperature, top-k, top-p, min-p, typical-p, bias, single-token bans).
     *
     * @param batchSize the number of rows, at least 1
     * @param vocabSize the vocabulary size, at least 1
     * @return the context
     */
    static LogitsContext empty(int batchSize, int vocabSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        return new ImmutableLogitsContext(vocabSize, 0, Collections.nCopies(batchSize, new int[0]),
                new int[batchSize]);
    }
}
