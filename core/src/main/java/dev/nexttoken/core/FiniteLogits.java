package dev.nexttoken.core;

import dev.nexttoken.core.model.Gpt2Weights;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Stops a generation step whose logits, fresh from the model, hold NaN, +inf or -inf, before
 * the sampling pipeline sees them.
 *
 * <p>Why: a GPT-2 never legitimately produces a non-finite logit; +inf logits would be sampled
 * as if uniform and -inf ones silently removed, so the output would be wrong without a sign.
 * A {@code -inf} that a logits processor writes later (a banned token) is legitimate and not
 * checked here. Cost: one Nd4j sum over the logits per step (any NaN or infinity makes the sum
 * non-finite); only then is the row scanned to name the token, and the weights to name the
 * tensor ({@link WeightsScan}).
 */
final class FiniteLogits {

    private FiniteLogits() {
    }

    /**
     * @param logits  {@code [rows, vocab]} as the model returned them
     * @param weights the weights that computed them
     * @throws NextTokenException naming the value, row, token and the damaged tensor (or overflow)
     */
    static void require(INDArray logits, Gpt2Weights weights) {
        if (Double.isFinite(logits.sumNumber().doubleValue())) {
            return;
        }
        float[][] rows = logits.toFloatMatrix();
        for (int r = 0; r < rows.length; r++) {
            for (int token = 0; token < rows[r].length; token++) {
                float value = rows[r][token];
                if (!Float.isFinite(value)) {
                    throw new NextTokenException("the model's logits hold " + name(value) + " (row " + r + ", token "
                            + token + "): " + WeightsScan.explain(weights));
                }
            }
        }
        // every logit is finite: only their sum overflowed
    }

    private static String name(float value) {
        return value > 0 ? "+Infinity" : value < 0 ? "-Infinity" : "NaN";
    }
}
