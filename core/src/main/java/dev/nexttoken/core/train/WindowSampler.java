package dev.nexttoken.core.train;

import java.util.Objects;

/**
 * Draws batches of random windows from token data, as nanoGPT's {@code get_batch}: each of the
 * {@code batchSize} rows starts at a uniformly random position, its inputs are
 * {@code blockSize} tokens from there and its targets the same tokens shifted by one.
 *
 * <p>The random generator is SplitMix64, whose whole state is one {@code long}:
 * {@link #state()} and {@link #restore(long)} let a resumed run draw exactly the windows the
 * interrupted one would have drawn. Not thread-safe.
 */
public final class WindowSampler {

    /** A batch: {@code inputs[b][t]} is followed in the data by {@code targets[b][t]}. */
    public record Batch(int[][] inputs, int[][] targets) {

        /** @return batch size times block size: the number of predicted tokens */
        public int tokenCount() {
            return inputs.length * inputs[0].length;
        }
    }

    private final TokenData data;
    private final int batchSize;
    private final int blockSize;
    private long state;

    /**
     * @param data      the tokens to draw from; at least {@code blockSize + 1} of them
     * @param batchSize windows per batch, positive
     * @param blockSize tokens per window (the model's context), positive
     * @param seed      the same seed draws the same windows
     * @throws IllegalArgumentException if a size is not positive or the data is too short
     */
    public WindowSampler(TokenData data, int batchSize, int blockSize, long seed) {
        this.data = Objects.requireNonNull(data, "data");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("block size must be positive, got " + blockSize);
        }
        if (data.size() < blockSize + 1L) {
            throw new IllegalArgumentException("the data has " + data.size() + " tokens; a window of block size "
                    + blockSize + " needs at least " + (blockSize + 1));
        }
        this.batchSize = batchSize;
        this.blockSize = blockSize;
        this.state = seed;
    }

    /** @return the next batch of {@code batchSize} windows */
    public Batch next() {
        long starts = data.size() - blockSize;                 // valid starts: 0 .. size - blockSize - 1
        int[][] inputs = new int[batchSize][blockSize];
        int[][] targets = new int[batchSize][blockSize];
        for (int b = 0; b < batchSize; b++) {
            long start = Long.remainderUnsigned(nextLong(), starts);
            int previous = data.get(start);
            for (int t = 0; t < blockSize; t++) {
                int next = data.get(start + t + 1);
                inputs[b][t] = previous;
                targets[b][t] = next;
                previous = next;
            }
        }
        return new Batch(inputs, targets);
    }

    /** @return the generator's state: {@link #restore(long)} continues from here */
    public long state() {
        return state;
    }

    /** @param savedState a value of {@link #state()} */
    public void restore(long savedState) {
        this.state = savedState;
    }

    /** SplitMix64 (Steele, Lea, Flood 2014). */
    private long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        long z = state;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
