package dev.nexttoken.core.train;

/**
 * The mean loss on both splits, each over the same fixed set of random windows at every
 * evaluation (so that evaluations are comparable).
 *
 * @param step           optimizer steps done when evaluated
 * @param trainLoss      mean loss on windows of the training split (nats)
 * @param validationLoss mean loss on windows of the held-out split (nats)
 */
public record Evaluation(long step, double trainLoss, double validationLoss) {

    /** @return {@code exp(validationLoss)} */
    public double validationPerplexity() {
        return Math.exp(validationLoss);
    }
}
