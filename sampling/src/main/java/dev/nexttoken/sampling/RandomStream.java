package dev.nexttoken.sampling;

/**
 * The random numbers of one sequence: a SplitMix64 generator (Steele, Lea and Flood, 2014) whose
 * start is derived from {@code (seed, sequenceIndex)}:
 * <pre>
 *   state_0 = mix64(mix64(seed) ^ mix64(sequenceIndex + 0x632BE59BD9B4E019))
 *   state_k = state_{k-1} + 0x9E3779B97F4A7C15,   output_k = mix64(state_k)
 * </pre>
 * The algorithm is fixed here (not delegated to the JDK), so a seed gives the same numbers on every
 * JVM, in every thread, whatever else draws random numbers. The state advances with each draw and
 * persists across steps: keep one stream per sequence for a whole generation call (see
 * {@link RandomStreams}). Not thread-safe; a stream belongs to one sequence.
 */
public final class RandomStream {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final long INDEX_SALT = 0x632BE59BD9B4E019L;

    private final long seed;
    private final int sequenceIndex;
    private long state;

    private RandomStream(long seed, int sequenceIndex, long state) {
        this.seed = seed;
        this.sequenceIndex = sequenceIndex;
        this.state = state;
    }

    /**
     * A fresh stream for sequence {@code sequenceIndex} of a call with seed {@code seed}.
     *
     * @param seed the call's seed
     * @param sequenceIndex the sequence's index in the call, at least 0
     * @return the stream, at its start
     */
    public static RandomStream of(long seed, int sequenceIndex) {
        if (sequenceIndex < 0) {
            throw new IllegalArgumentException("sequenceIndex must be >= 0, got " + sequenceIndex);
        }
        long start = mix64(mix64(seed) ^ mix64(sequenceIndex + INDEX_SALT));
        return new RandomStream(seed, sequenceIndex, start);
    }

    /** A stream with a raw SplitMix64 state (tests compare against the published test vectors). */
    static RandomStream fromState(long state) {
        return new RandomStream(0, 0, state);
    }

    /** @return the seed this stream was derived from */
    public long seed() {
        return seed;
    }

    /** @return the sequence index this stream was derived from */
    public int sequenceIndex() {
        return sequenceIndex;
    }

    /** @return the next 64 random bits */
    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix64(state);
    }

    /** @return a uniform double in {@code [0, 1)}, from the top 53 bits of {@link #nextLong()} */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** SplitMix64's output function (a bijection of 64-bit values). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "RandomStream[seed=" + seed + ", sequence=" + sequenceIndex + "]";
    }
}
