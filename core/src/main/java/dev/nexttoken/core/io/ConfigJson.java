package dev.nexttoken.core.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.model.Gpt2Config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads and writes a Hugging Face GPT-2 {@code config.json}.
 *
 * <p>Reading takes {@code n_layer}, {@code n_head}, {@code n_embd}, {@code n_positions} (or the
 * older {@code n_ctx}), {@code vocab_size} and {@code layer_norm_epsilon} (1e-5 when absent),
 * and ignores the keys that do not change inference (dropouts, token ids, summary settings).
 * Keys that would change what the model computes, and that nexttoken does not implement, are
 * refused rather than ignored: an {@code activation_function} other than the tanh GELU, an
 * {@code n_inner} other than 4·n_embd, {@code scale_attn_weights: false},
 * {@code scale_attn_by_inverse_layer_idx: true}, {@code add_cross_attention: true},
 * {@code tie_word_embeddings: false}, or a {@code model_type} other than {@code gpt2}.
 */
public final class ConfigJson {

    /** The activations that are the tanh approximation of GELU, the one GPT-2 uses. */
    private static final Set<String> TANH_GELU = Set.of("gelu_new", "gelu_pytorch_tanh");

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ConfigJson() {
    }

    /**
     * Reads a GPT-2 configuration.
     *
     * @param configJson the {@code config.json} file
     * @return the validated configuration
     * @throws ModelLoadException if the file is missing, unreadable or malformed, lacks a
     *                            required key, holds a non-integer where an integer belongs, or
     *                            describes a model nexttoken cannot run; the message names the
     *                            file and the key
     */
    public static Gpt2Config read(Path configJson) {
        JsonNode root = parse(configJson);
        String where = configJson + ": ";
        if (!root.isObject()) {
            throw new ModelLoadException(where + "expected a JSON object, found " + describe(root));
        }
        checkSupported(root, where);
        int nLayer = requiredInt(root, "n_layer", where);
        int nHead = requiredInt(root, "n_head", where);
        int nEmbd = requiredInt(root, "n_embd", where);
        int nPositions = root.has("n_positions")
                ? requiredInt(root, "n_positions", where)
                : requiredInt(root, "n_ctx", where);
        int vocabSize = requiredInt(root, "vocab_size", where);
        double epsilon = Gpt2Config.DEFAULT_LAYER_NORM_EPSILON;
        JsonNode eps = root.get("layer_norm_epsilon");
        if (eps != null && !eps.isNull()) {
            if (!eps.isNumber()) {
                throw new ModelLoadException(where + "key 'layer_norm_epsilon' must be a number, got " + eps);
            }
            epsilon = eps.doubleValue();
        }
        if (root.hasNonNull("n_inner")) {
            int nInner = requiredInt(root, "n_inner", where);
            if ((long) nInner != 4L * nEmbd) {
                throw new ModelLoadException(where + "n_inner=" + nInner + " is not supported: the MLP must have "
                        + "4 * n_embd = " + 4L * nEmbd + " units (or n_inner null)");
            }
        }
        try {
            return new Gpt2Config(nLayer, nHead, nEmbd, nPositions, vocabSize, epsilon);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(where + e.getMessage(), e);
        }
    }

    /**
     * Writes a configuration as a Hugging Face compatible {@code config.json}
     * ({@code model_type} gpt2, {@code architectures} [GPT2LMHeadModel], {@code activation_function}
     * gelu_new, {@code n_ctx} equal to {@code n_positions}), so that the folder it goes into can
     * be loaded by nexttoken and by Hugging Face {@code transformers} alike.
     *
     * @param config the configuration
     * @param file   where to write; an existing file is replaced atomically (a crash leaves the
     *               old file or the new one, see {@link AtomicFiles})
     * @throws NextTokenException if the file cannot be written
     */
    public static void write(Gpt2Config config, Path file) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("model_type", "gpt2");
        root.putArray("architectures").add("GPT2LMHeadModel");
        root.put("activation_function", "gelu_new");
        root.put("n_layer", config.nLayer());
        root.put("n_head", config.nHead());
        root.put("n_embd", config.nEmbd());
        root.put("n_positions", config.nPositions());
        root.put("n_ctx", config.nPositions());
        root.putNull("n_inner");
        root.put("vocab_size", config.vocabSize());
        root.put("layer_norm_epsilon", config.layerNormEpsilon());
        root.put("scale_attn_weights", true);
        root.put("scale_attn_by_inverse_layer_idx", false);
        root.put("reorder_and_upcast_attn", false);
        root.put("tie_word_embeddings", true);
        root.put("initializer_range", 0.02);
        if (config.vocabSize() > 50256) {
            root.put("bos_token_id", 50256);
            root.put("eos_token_id", 50256);
        }
        try {
            AtomicFiles.writeString(file, MAPPER.writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw new NextTokenException(file + ": cannot write config.json: " + e, e);
        }
    }

    private static JsonNode parse(Path file) {
        // before the open: opening a FIFO would block
        FileChecks.requireRegularFile(file, "config.json file", "config.json not found");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(file + ": config.json not found (was it deleted after it was checked?)", e);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read config.json: " + e, e);
        }
        if (bytes.length == 0) {
            throw new ModelLoadException(file + ": config.json is empty");
        }
        try {
            JsonNode root = MAPPER.readTree(bytes);
            if (root == null || root.isMissingNode()) {
                throw new ModelLoadException(file + ": config.json holds no JSON value");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(file + ": malformed JSON: " + e.getOriginalMessage()
                    + locationOf(e), e);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read config.json: " + e, e);
        }
    }

    private static void checkSupported(JsonNode root, String where) {
        JsonNode modelType = root.get("model_type");
        if (modelType != null && !modelType.isNull() && !"gpt2".equals(modelType.asText())) {
            throw new ModelLoadException(where + "model_type '" + modelType.asText()
                    + "' is not supported; nexttoken runs GPT-2 models (model_type gpt2)");
        }
        JsonNode activation = root.get("activation_function");
        if (activation != null && !activation.isNull() && !TANH_GELU.contains(activation.asText())) {
            throw new ModelLoadException(where + "activation_function '" + activation.asText()
                    + "' is not supported; GPT-2 uses the tanh GELU (gelu_new or gelu_pytorch_tanh)");
        }
        requireFlag(root, "scale_attn_weights", true, where);
        requireFlag(root, "scale_attn_by_inverse_layer_idx", false, where);
        requireFlag(root, "add_cross_attention", false, where);
        requireFlag(root, "tie_word_embeddings", true, where);
    }

    /** Refuses a boolean key that is present with the value nexttoken does not implement. */
    private static void requireFlag(JsonNode root, String key, boolean supported, String where) {
        JsonNode node = root.get(key);
        if (node != null && node.isBoolean() && node.booleanValue() != supported) {
            throw new ModelLoadException(where + key + "=" + node.booleanValue()
                    + " is not supported (only " + key + "=" + supported + ")");
        }
    }

    private static int requiredInt(JsonNode root, String key, String where) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            throw new ModelLoadException(where + "missing required key '" + key + "'");
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new ModelLoadException(where + "key '" + key + "' must be an integer, got " + node);
        }
        return node.intValue();
    }

    private static String describe(JsonNode node) {
        return node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    private static String locationOf(JsonProcessingException e) {
        if (e.getLocation() == null || e.getLocation().getLineNr() < 0) {
            return "";
        }
        return " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }
}
