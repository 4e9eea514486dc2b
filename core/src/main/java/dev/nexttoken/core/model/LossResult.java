package dev.nexttoken.core.model;

/**
 * The cross-entropy of a model against the true next tokens, as nanoGPT computes it.
 *
 * @param loss        mean of {@code -log p(target)} over the targets that are not ignored (nats)
 * @param tokenLosses per sequence and position, {@code -log p(target)}; {@code NaN} where the
 *                    target is ignored ({@code -1})
 * @param count       number of targets that count
 */
public record LossResult(double loss, double[][] tokenLosses, int count) {

    /** {@code exp(loss)}: the number of equally likely tokens the model is as unsure as. */
    public double perplexity() {
        return Math.exp(loss);
    }
}
