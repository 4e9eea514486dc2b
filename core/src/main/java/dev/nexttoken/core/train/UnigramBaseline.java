package dev.nexttoken.core.train;

/**
 * The loss of the simplest language model: each token drawn independently with its frequency in
 * the training split, add-one (Laplace) smoothed over the whole vocabulary so that no token has
 * probability 0. A trained model should beat it by far; its perplexity is the yardstick.
 */
public final class UnigramBaseline {

    private UnigramBaseline() {
    }

    /**
     * The mean of {@code −log p(token)} over the evaluation tokens, with
     * {@code p(t) = (count_train(t) + 1) / (n_train + V)}.
     *
     * @param train      the tokens the frequencies come from
     * @param evaluation the tokens to score (the validation split)
     * @param vocabSize  V, larger than every id
     * @return the mean loss in nats; its {@code exp} is the perplexity
     * @throws IllegalArgumentException if {@code evaluation} is empty or an id is not below {@code vocabSize}
     */
    public static double loss(TokenData train, TokenData evaluation, int vocabSize) {
        if (evaluation.size() == 0) {
            throw new IllegalArgumentException("no tokens to evaluate the unigram baseline on");
        }
        long[] counts = new long[vocabSize];
        for (long i = 0; i < train.size(); i++) {
            counts[checked(train.get(i), vocabSize)]++;
        }
        double logTotal = Math.log((double) train.size() + vocabSize);
        double sum = 0;
        for (long i = 0; i < evaluation.size(); i++) {
            sum += logTotal - Math.log(counts[checked(evaluation.get(i), vocabSize)] + 1.0);
        }
        return sum / evaluation.size();
    }

    private static int checked(int id, int vocabSize) {
        if (id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " is not below the vocabulary size " + vocabSize);
        }
        return id;
    }
}
