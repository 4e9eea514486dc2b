package dev.nexttoken.core;

import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.sampling.NonFiniteLogitsException;

/**
 * Turns the sampling pipeline's report that the model's logits hold NaN, {@code +inf} or
 * {@code -inf} into an error that says why: which weight tensor is damaged, or that the weights
 * are finite and the computation overflowed.
 *
 * <p>Why: a GPT-2 never legitimately produces a non-finite logit; {@code +inf} logits used to be
 * sampled as if uniform, so the output was wrong without a sign. The pipeline finds them in the
 * pass that copies the logits anyway (no extra cost per step); only on that error are the
 * weights scanned ({@link WeightsScan}).
 */
final class NonFiniteLogits {

    private NonFiniteLogits() {
    }

    /**
     * @param found   what the pipeline found, and where
     * @param weights the weights that computed the logits
     * @return the error to throw, naming the value, row, token and the damaged tensor (or overflow)
     */
    static NextTokenException explain(NonFiniteLogitsException found, Gpt2Weights weights) {
        return new NextTokenException("the model's logits hold " + found.valueName() + " (row " + found.row()
                + ", token " + found.token() + "): " + WeightsScan.explain(weights), found);
    }
}
