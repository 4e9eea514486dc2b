package dev.nexttoken.sampling;

/**
 * Chooses one token id for one sequence from its processed logits.
 *
 * <p>The logits are what the processor chain left: removed tokens are {@code -inf}, and the
 * distribution to draw from is {@link Softmax#probabilities(float[]) softmax(logits)}. A sampler
 * draws its randomness only from {@code random}, the sequence's own stream, so results are
 * reproducible. Built in: {@link GreedySampler} (argmax) and {@link MultinomialSampler}.
 */
@FunctionalInterface
public interface Sampler {

    /**
     * Chooses a token.
     *
     * @param logits the processed logits of one sequence (not to be changed)
     * @param random the sequence's random stream
     * @return the chosen id, in {@code [0, logits.length)}, with a logit above {@code -inf}
     */
    int sample(float[] logits, RandomStream random);

    /**
     * The name used in error messages: by default the class's simple name.
     *
     * @return a short readable name
     */
    default String name() {
        return Names.describe(getClass());
    }
}
