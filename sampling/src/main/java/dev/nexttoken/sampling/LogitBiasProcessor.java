package dev.nexttoken.sampling;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Logit bias, as the OpenAI API's {@code logit_bias} and llama.cpp's {@code --logit-bias}: a fixed
 * amount is added to the logits of chosen tokens, in every row and step,
 * <pre>
 *   x'_i = x_i + b_i     (b_i = 0 for tokens without a bias)
 * </pre>
 * computed in float32. An infinite bias sets the logit instead of adding to it: {@code -inf} removes
 * the token and {@code +inf} forces it (so the result is never NaN). Valid ranges: ids {@code >= 0}
 * (and inside the vocabulary, checked when applied), biases not NaN. Immutable and thread-safe.
 */
public final class LogitBiasProcessor implements RowLogitsProcessor, BuiltIn {

    private final Map<Integer, Double> bias;
    private final int[] ids;
    private final float[] amounts;

    /**
     * @param bias token id to additive bias
     * @throws IllegalArgumentException if an id is negative or a bias is NaN
     */
    public LogitBiasProcessor(Map<Integer, ? extends Number> bias) {
        if (bias == null) {
            throw new IllegalArgumentException("bias must not be null");
        }
        TreeMap<Integer, Double> copy = new TreeMap<>();
        for (Map.Entry<Integer, ? extends Number> e : bias.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("logit_bias ids and values must not be null");
            }
            copy.put(e.getKey(), e.getValue().doubleValue());
        }
        this.ids = new int[copy.size()];
        this.amounts = new float[copy.size()];
        int j = 0;
        for (Map.Entry<Integer, Double> e : copy.entrySet()) {
            ids[j] = checkId(e.getKey());
            amounts[j] = checkBias(e.getKey(), e.getValue());
            j++;
        }
        this.bias = Collections.unmodifiableMap(copy);
    }

    static int checkId(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("logit_bias token ids must be >= 0, got " + id);
        }
        return id;
    }

    static float checkBias(int id, double value) {
        if (Double.isNaN(value)) {
            throw new IllegalArgumentException("logit_bias of token " + id + " must not be NaN");
        }
        return (float) value;
    }

    /** @return token id to bias, sorted by id, unmodifiable */
    public Map<Integer, Double> bias() {
        return bias;
    }

    @Override
    public void processRow(LogitsContext context, int row, float[] logits) {
        for (int j = 0; j < ids.length; j++) {
            int id = ids[j];
            if (id >= logits.length) {
                throw Checks.outsideVocabulary(name(), "token id", id, logits.length);
            }
            float b = amounts[j];
            logits[id] = Float.isInfinite(b) ? b : logits[id] + b;
        }
    }

    @Override
    public String name() {
        return "LogitBiasProcessor(" + bias + ")";
    }

    @Override
    public String toString() {
        return name();
    }
}
