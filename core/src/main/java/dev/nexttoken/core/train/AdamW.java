package dev.nexttoken.core.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as PyTorch's {@code AdamW} computes
 * it, with nanoGPT's parameter groups: weight decay on the 2-D parameters (the embeddings and
 * the weight matrices of the linear layers) and none on the 1-D ones (biases and LayerNorm
 * scales and shifts). For each parameter {@code p} with gradient {@code g}, at step {@code t}
 * (from 1):
 *
 * <pre>
 *   p ← p − lr·λ·p                       (matrices only)
 *   m ← β₁·m + (1 − β₁)·g
 *   v ← β₂·v + (1 − β₂)·g²
 *   p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 * </pre>
 *
 * <p>The moments {@code m} and {@code v} are kept per parameter name ({@link #state()}) and can
 * be saved and restored to resume training. Not thread-safe.
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Map<String, INDArray> firstMoments = new LinkedHashMap<>();
    private final Map<String, INDArray> secondMoments = new LinkedHashMap<>();
    private final Map<String, INDArray> scratch = new LinkedHashMap<>();
    private long steps;

    /**
     * @param beta1       first-moment decay, in [0, 1)
     * @param beta2       second-moment decay, in [0, 1)
     * @param epsilon     added to the denominator, positive
     * @param weightDecay decoupled decay of the matrices, at least 0
     * @throws IllegalArgumentException if a value is out of range
     */
    public AdamW(double beta1, double beta2, double epsilon, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + " and " + beta2);
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight decay must be at least 0, got " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
    }

    /**
     * Whether a parameter gets weight decay: nanoGPT decays every parameter of two or more
     * dimensions and no other.
     *
     * @param parameter the parameter array
     * @return true for matrices
     */
    public static boolean decays(INDArray parameter) {
        return parameter.rank() >= 2;
    }

    /**
     * Updates every parameter in place from its gradient.
     *
     * @param parameters   name to parameter array
     * @param gradients    name to gradient, the same names and shapes
     * @param learningRate this step's learning rate
     * @throws IllegalArgumentException if a gradient is missing or of another shape
     */
    public void step(Map<String, INDArray> parameters, Map<String, INDArray> gradients, double learningRate) {
        steps++;
        double correction1 = 1 - Math.pow(beta1, steps);
        double correction2 = 1 - Math.pow(beta2, steps);
        for (Map.Entry<String, INDArray> entry : parameters.entrySet()) {
            String name = entry.getKey();
            INDArray p = entry.getValue();
            INDArray g = Objects.requireNonNull(gradients.get(name), () -> "no gradient for " + name);
            if (!Arrays.equals(p.shape(), g.shape())) {
                throw new IllegalArgumentException("gradient of " + name + " has shape " + Arrays.toString(g.shape())
                        + ", the parameter " + Arrays.toString(p.shape()));
            }
            INDArray m = firstMoments.computeIfAbsent(name, n -> Nd4j.zeros(p.dataType(), p.shape()));
            INDArray v = secondMoments.computeIfAbsent(name, n -> Nd4j.zeros(p.dataType(), p.shape()));
            INDArray tmp = scratch.computeIfAbsent(name, n -> Nd4j.createUninitialized(p.dataType(), p.shape(), 'c'));
            if (weightDecay > 0 && decays(p)) {
                p.muli(1 - learningRate * weightDecay);
            }
            m.muli(beta1).addi(tmp.assign(g).muli(1 - beta1));
            v.muli(beta2).addi(tmp.assign(g).muli(g).muli(1 - beta2));
            Transforms.sqrt(tmp.assign(v).divi(correction2), false).addi(epsilon); // √v̂ + ε
            tmp.rdivi(m).muli(learningRate / correction1);                          // lr · m̂ / (√v̂ + ε)
            p.subi(tmp);
        }
    }

    /** @return the number of steps taken (the {@code t} of the bias corrections) */
    public long steps() {
        return steps;
    }

    /**
     * The moments, for saving: {@code exp_avg.NAME} (m) and {@code exp_avg_sq.NAME} (v), PyTorch's
     * names, for every parameter stepped so far.
     *
     * @return an unmodifiable map of the live arrays
     */
    public Map<String, INDArray> state() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        firstMoments.forEach((name, m) -> out.put("exp_avg." + name, m));
        secondMoments.forEach((name, v) -> out.put("exp_avg_sq." + name, v));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Restores what {@link #state()} and {@link #steps()} returned, converted to the data type
     * of the parameters.
     *
     * @param parameters the parameters the state belongs to (for names, shapes and data type)
     * @param state      the arrays of {@link #state()}
     * @param stepsTaken the value of {@link #steps()}
     * @throws IllegalArgumentException if a moment is missing or of another shape
     */
    public void restore(Map<String, INDArray> parameters, Map<String, INDArray> state, long stepsTaken) {
        if (stepsTaken < 0) {
            throw new IllegalArgumentException("steps must be at least 0, got " + stepsTaken);
        }
        firstMoments.clear();
        secondMoments.clear();
        for (Map.Entry<String, INDArray> entry : parameters.entrySet()) {
            String name = entry.getKey();
            INDArray p = entry.getValue();
            firstMoments.put(name, moment(state, "exp_avg." + name, p));
            secondMoments.put(name, moment(state, "exp_avg_sq." + name, p));
        }
        steps = stepsTaken;
    }

    private static INDArray moment(Map<String, INDArray> state, String key, INDArray parameter) {
        INDArray saved = state.get(key);
        if (saved == null) {
            throw new IllegalArgumentException("optimizer state has no '" + key + "'");
        }
        if (!Arrays.equals(saved.shape(), parameter.shape())) {
            throw new IllegalArgumentException("optimizer state '" + key + "' has shape "
                    + Arrays.toString(saved.shape()) + ", the parameter " + Arrays.toString(parameter.shape()));
        }
        INDArray out = Nd4j.createUninitialized(parameter.dataType(), parameter.shape(), 'c');
        return out.assign(saved.dataType() == parameter.dataType() ? saved : saved.castTo(parameter.dataType()));
    }
}
