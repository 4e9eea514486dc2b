package dev.nexttoken.sampling;

import java.util.Arrays;

/**
 * The random streams of one generation call: sequence {@code i} of the call draws from its own
 * {@link RandomStream} derived from {@code (seed, i)}, created on first use and kept for the whole
 * call, so step 2 continues where step 1 stopped and the ids of a sequence do not depend on the
 * batch size, on thread scheduling or on other work in the JVM.
 *
 * <p>{@link SamplingPipeline#choose} uses {@code stream(r)} for row {@code r}. When a call's
 * sequences run in several batches, give the batch that starts at sequence {@code k} the view
 * {@link #offset(int) offset(k)}: its stream {@code r} is this object's stream {@code k + r}.
 *
 * <p>Create one per call; not thread-safe.
 */
public final class RandomStreams {

    private final long seed;
    private final RandomStreams root;
    private final int first;
    private RandomStream[] streams;

    private RandomStreams(long seed, RandomStreams root, int first) {
        this.seed = seed;
        this.root = root;
        this.first = first;
        this.streams = root == null ? new RandomStream[8] : null;
    }

    /**
     * The streams of a call with the given seed.
     *
     * @param seed the call's seed
     * @return streams that start fresh
     */
    public static RandomStreams create(long seed) {
        return new RandomStreams(seed, null, 0);
    }

    /** @return the call's seed */
    public long seed() {
        return seed;
    }

    /**
     * The stream of a sequence, created at its start on first use and the same object afterwards.
     *
     * @param sequenceIndex the index, at least 0 (relative to this view's offset)
     * @return the sequence's stream
     */
    public RandomStream stream(int sequenceIndex) {
        if (sequenceIndex < 0) {
            throw new IllegalArgumentException("sequenceIndex must be >= 0, got " + sequenceIndex);
        }
        if (root != null) {
            return root.stream(first + sequenceIndex);
        }
        if (sequenceIndex >= streams.length) {
            streams = Arrays.copyOf(streams, Math.max(sequenceIndex + 1, 2 * streams.length));
        }
        RandomStream stream = streams[sequenceIndex];
        if (stream == null) {
            stream = RandomStream.of(seed, sequenceIndex);
            streams[sequenceIndex] = stream;
        }
        return stream;
    }

    /**
     * A view whose stream {@code r} is this object's stream {@code firstSequenceIndex + r}; state is
     * shared.
     *
     * @param firstSequenceIndex the first sequence of the view, at least 0
     * @return the view
     */
    public RandomStreams offset(int firstSequenceIndex) {
        if (firstSequenceIndex < 0) {
            throw new IllegalArgumentException("firstSequenceIndex must be >= 0, got " + firstSequenceIndex);
        }
        RandomStreams base = root == null ? this : root;
        return new RandomStreams(seed, base, first + firstSequenceIndex);
    }

    @Override
    public String toString() {
        return "RandomStreams[seed=" + seed + (first == 0 ? "" : ", offset=" + first) + "]";
    }
}
