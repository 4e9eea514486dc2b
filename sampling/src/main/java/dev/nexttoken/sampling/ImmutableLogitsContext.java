package dev.nexttoken.sampling;

import java.util.List;

/** The context built by {@link LogitsContext#of}: defensive copies, validated once. */
final class ImmutableLogitsContext implements LogitsContext {

    private final int vocabSize;
    private final int step;
    private final int[][] tokens;
    private final int[] promptLengths;

    ImmutableLogitsContext(int vocabSize, int step, List<int[]> tokensPerRow, int[] promptLengths) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabSize must be >= 1, got " + vocabSize);
        }
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        if (tokensPerRow == null || promptLengths == null) {
            throw new IllegalArgumentException("tokensPerRow and promptLengths must not be null");
        }
        if (tokensPerRow.isEmpty()) {
            throw new IllegalArgumentException("a context needs at least one row");
        }
        if (promptLengths.length != tokensPerRow.size()) {
            throw new IllegalArgumentException("promptLengths has " + promptLengths.length
                    + " entries but there are " + tokensPerRow.size() + " rows");
        }
        this.vocabSize = vocabSize;
        this.step = step;
        this.tokens = new int[tokensPerRow.size()][];
        this.promptLengths = promptLengths.clone();
        for (int r = 0; r < tokens.length; r++) {
            int[] row = tokensPerRow.get(r);
            if (row == null) {
                throw new IllegalArgumentException("tokens of row " + r + " must not be null");
            }
            for (int i = 0; i < row.length; i++) {
                if (row[i] < 0 || row[i] >= vocabSize) {
                    throw new IllegalArgumentException("token " + row[i] + " at position " + i + " of row " + r
                            + " is outside the vocabulary [0, " + vocabSize + ")");
                }
            }
            if (this.promptLengths[r] < 0 || this.promptLengths[r] > row.length) {
                throw new IllegalArgumentException("prompt length of row " + r + " must be in [0, " + row.length
                        + "], got " + this.promptLengths[r]);
            }
            tokens[r] = row.clone();
        }
    }

    @Override
    public int batchSize() {
        return tokens.length;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int step() {
        return step;
    }

    @Override
    public int length(int row) {
        return tokens[row].length;
    }

    @Override
    public int token(int row, int position) {
        return tokens[row][position];
    }

    @Override
    public int[] tokens(int row) {
        return tokens[row].clone();
    }

    @Override
    public int promptLength(int row) {
        return promptLengths[row];
    }

    @Override
    public String toString() {
        return "LogitsContext[batch=" + tokens.length + ", vocab=" + vocabSize + ", step=" + step + "]";
    }
}
