package dev.nexttoken.core;

import dev.nexttoken.core.model.Gpt2Weights;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;
import java.util.Optional;

/**
 * Finds the weight tensor that holds NaN or an infinity, to explain non-finite logits or a
 * non-finite loss.
 *
 * <p>Why only then: scanning every weight at load reads the whole file (500 MB for GPT-2 small)
 * and costs many times the loading of a memory-mapped model (docs/RELIABILITY.md has the
 * measurement), so it is off by default ({@link Gpt2Weights.LoadOptions#withCheckFinite}); a
 * non-finite logit is caught cheaply at each step instead, and only then are the weights scanned.
 */
final class WeightsScan {

    private WeightsScan() {
    }

    /** @return the Hugging Face name of the first tensor holding NaN or an infinity, in checkpoint order */
    static Optional<String> firstNonFinite(Gpt2Weights weights) {
        for (Map.Entry<String, INDArray> tensor : weights.toTensorMap().entrySet()) {
            INDArray array = tensor.getValue();
            if (array.isNaN().any() || array.isInfinite().any()) {
                return Optional.of(tensor.getKey());
            }
        }
        return Optional.empty();
    }

    /**
     * Why a model computed non-finite values: the damaged tensor if there is one, else an overflow.
     *
     * @return a sentence fragment to follow "the model's logits hold ...: "
     */
    static String explain(Gpt2Weights weights) {
        return firstNonFinite(weights)
                .map(name -> "the weights hold non-finite values (tensor " + name + "), so the checkpoint is"
                        + " damaged: load an intact copy (Gpt2Weights.LoadOptions.withCheckFinite(true) refuses"
                        + " such weights at load)")
                .orElse("the weights are all finite, so the computation overflowed float32: the weights have"
                        + " extreme magnitudes (was the model trained until it diverged?)");
    }
}
