package dev.nexttoken.core.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape of a GPT-2 model: the hyper-parameters of a Hugging Face {@code config.json}.
 *
 * <p>Immutable and validated on construction. Messages use the Hugging Face key names
 * ({@code n_layer}, {@code n_embd}, ...), since that is where a user meets these numbers.
 *
 * @param nLayer           number of transformer blocks ({@code n_layer})
 * @param nHead            number of attention heads per block ({@code n_head})
 * @param nEmbd            width of the residual stream, C ({@code n_embd}); a multiple of
 *                         {@code nHead}
 * @param nPositions       the longest context, the number of rows of {@code wpe}
 *                         ({@code n_positions})
 * @param vocabSize        the number of token ids, the number of rows of {@code wte}
 *                         ({@code vocab_size})
 * @param layerNormEpsilon the epsilon added to the variance in every LayerNorm
 *                         ({@code layer_norm_epsilon})
 */
public record Gpt2Config(int nLayer, int nHead, int nEmbd, int nPositions, int vocabSize,
                         double layerNormEpsilon) {

    /** GPT-2's LayerNorm epsilon, used by every preset and by {@code config.json} by default. */
    public static final double DEFAULT_LAYER_NORM_EPSILON = 1e-5;

    private static final Map<String, Gpt2Config> PRESETS = presets();

    /**
     * Checks every value; the messages use the {@code config.json} key names.
     *
     * @param nLayer           number of blocks, positive
     * @param nHead            number of heads, positive
     * @param nEmbd            residual width, positive and a multiple of {@code nHead}
     * @param nPositions       longest context, positive
     * @param vocabSize        number of token ids, positive
     * @param layerNormEpsilon LayerNorm epsilon, positive and finite
     * @throws IllegalArgumentException if a value is out of range
     */
    public Gpt2Config {
        requirePositive("n_layer", nLayer);
        requirePositive("n_head", nHead);
        requirePositive("n_embd", nEmbd);
        requirePositive("n_positions", nPositions);
        requirePositive("vocab_size", vocabSize);
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException(
                    "n_embd (" + nEmbd + ") must be a multiple of n_head (" + nHead + ")");
        }
        if (!(layerNormEpsilon > 0) || Double.isInfinite(layerNormEpsilon)) {
            throw new IllegalArgumentException(
                    "layer_norm_epsilon must be a positive finite number, got " + layerNormEpsilon);
        }
    }

    /** @return the width of one attention head, {@code nEmbd / nHead} */
    public int headSize() {
        return nEmbd / nHead;
    }

    /**
     * The number of parameters of a model of this shape, counting the tied {@code wte} /
     * {@code lm_head} matrix once (124,439,808 for {@code gpt2}).
     *
     * @return V·C + P·C + n_layer·(12·C² + 13·C) + 2·C
     */
    public long parameterCount() {
        long c = nEmbd;
        long perLayer = 12 * c * c + 13 * c;
        return (long) vocabSize * c + (long) nPositions * c + nLayer * perLayer + 2 * c;
    }

    /**
     * The configuration of one of OpenAI's released GPT-2 sizes.
     *
     * @param name {@code gpt2} (124M), {@code gpt2-medium} (350M), {@code gpt2-large} (774M) or
     *             {@code gpt2-xl} (1.5B)
     * @return the configuration: vocabulary 50257, 1024 positions, LayerNorm epsilon 1e-5
     * @throws IllegalArgumentException for any other name; the message lists the valid ones
     */
    public static Gpt2Config preset(String name) {
        Gpt2Config config = PRESETS.get(name);
        if (config == null) {
            throw new IllegalArgumentException(
                    "unknown GPT-2 preset '" + name + "'; valid names: " + String.join(", ", presetNames()));
        }
        return config;
    }

    /** @return the names {@link #preset(String)} accepts, smallest model first */
    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    private static Map<String, Gpt2Config> presets() {
        Map<String, Gpt2Config> presets = new LinkedHashMap<>();
        presets.put("gpt2", new Gpt2Config(12, 12, 768, 1024, 50257, DEFAULT_LAYER_NORM_EPSILON));
        presets.put("gpt2-medium", new Gpt2Config(24, 16, 1024, 1024, 50257, DEFAULT_LAYER_NORM_EPSILON));
        presets.put("gpt2-large", new Gpt2Config(36, 20, 1280, 1024, 50257, DEFAULT_LAYER_NORM_EPSILON));
        presets.put("gpt2-xl", new Gpt2Config(48, 25, 1600, 1024, 50257, DEFAULT_LAYER_NORM_EPSILON));
        return presets;
    }

    private static void requirePositive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }
}
