package dev.nexttoken.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.io.ConfigJson;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.io.SafetensorsFile;
import dev.nexttoken.core.model.Gpt2Weights;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A training checkpoint: a Hugging Face GPT-2 folder that {@code Generator.load} and
 * {@code Gpt2Weights.load} read like any other, plus what resuming needs, in a subfolder:
 *
 * <pre>
 *   DIR/config.json                      the model's shape
 *   DIR/model.safetensors                the weights, F32 or F16
 *   DIR/training/state.json              step, window-generator state, seed, last losses
 *   DIR/training/optimizer.safetensors   F32: AdamW's moments exp_avg.NAME and exp_avg_sq.NAME,
 *                                        and, when model.safetensors is not F32, the exact
 *                                        float32 weights as param.NAME
 * </pre>
 *
 * <p>To ship only the model, copy {@code config.json} and {@code model.safetensors}.
 *
 * @param model          the weights, ready to train on (float32)
 * @param optimizerState AdamW's moments, as {@link AdamW#state()} names them
 * @param state          where the run stood
 */
public record Checkpoint(TrainableGpt2 model, Map<String, INDArray> optimizerState, TrainingState state) {

    /** The subfolder with the resume files. */
    public static final String TRAINING_DIR = "training";
    private static final String STATE_FILE = "state.json";
    private static final String OPTIMIZER_FILE = "optimizer.safetensors";
    private static final String MASTER_PREFIX = "param.";
    private static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param model          the weights
     * @param optimizerState AdamW's moments
     * @param state          where the run stood
     */
    public Checkpoint {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(optimizerState, "optimizerState");
        Objects.requireNonNull(state, "state");
    }

    /**
     * Writes a checkpoint, creating the folder if needed and replacing the files of an earlier one.
     *
     * @param dir       the checkpoint folder
     * @param model     the weights
     * @param optimizer the optimizer whose moments to keep
     * @param state     where the run stands
     * @param dtype     {@link Dtype#F32} or {@link Dtype#F16} for {@code model.safetensors}
     * @throws IllegalArgumentException for another dtype
     * @throws NextTokenException       if a file cannot be written
     */
    public static void save(Path dir, TrainableGpt2 model, AdamW optimizer, TrainingState state, Dtype dtype) {
        Objects.requireNonNull(dir, "dir");
        if (dtype != Dtype.F32 && dtype != Dtype.F16) {
            throw new IllegalArgumentException("checkpoints are written as F32 or F16, not " + dtype);
        }
        Path training = dir.resolve(TRAINING_DIR);
        try {
            Files.createDirectories(training);
        } catch (IOException e) {
            throw new NextTokenException(dir + ": cannot create the checkpoint folder: " + e, e);
        }
        Map<String, INDArray> resume = new LinkedHashMap<>(optimizer.state());
        if (dtype != Dtype.F32) {
            model.parameters().forEach((name, p) -> resume.put(MASTER_PREFIX + name, p));
        }
        SafetensorsFile.write(training.resolve(OPTIMIZER_FILE), resume, Dtype.F32);
        writeState(training.resolve(STATE_FILE), state, dtype);
        ConfigJson.write(model.config(), dir.resolve("config.json"));
        try (Gpt2Weights weights = model.toWeights()) {
            SafetensorsFile.write(dir.resolve("model.safetensors"), weights.toTensorMap(), dtype);
        }
    }

    /**
     * Whether a folder holds the resume files of a checkpoint.
     *
     * @param dir a folder
     * @return true if {@code training/state.json} exists in it
     */
    public static boolean isResumable(Path dir) {
        return Files.isRegularFile(dir.resolve(TRAINING_DIR).resolve(STATE_FILE));
    }

    /**
     * Reads a checkpoint written by {@link #save}.
     *
     * @param dir the checkpoint folder
     * @return the weights (float32, writable), the optimizer state and the run's state
     * @throws ModelLoadException if a file is missing or invalid
     */
    public static Checkpoint load(Path dir) {
        Objects.requireNonNull(dir, "dir");
        Path training = dir.resolve(TRAINING_DIR);
        Path stateFile = training.resolve(STATE_FILE);
        if (!Files.isRegularFile(stateFile)) {
            throw new ModelLoadException(dir + ": not a training checkpoint (no " + TRAINING_DIR + "/" + STATE_FILE
                    + "); to start from a model's weights without optimizer state, train from scratch instead");
        }
        TrainingState state = readState(stateFile);
        TrainableGpt2 model;
        try (Gpt2Weights weights = Gpt2Weights.load(dir, Gpt2Weights.LoadOptions.defaults().withWritable(true))) {
            model = TrainableGpt2.of(weights);
        }
        Map<String, INDArray> optimizerState = new LinkedHashMap<>();
        Path optimizerFile = training.resolve(OPTIMIZER_FILE);
        if (!Files.isRegularFile(optimizerFile)) {
            throw new ModelLoadException(optimizerFile + ": optimizer state not found in the checkpoint");
        }
        try (SafetensorsFile file = SafetensorsFile.open(optimizerFile)) {
            for (String name : file.names()) {
                INDArray array = file.loadCopy(name);
                if (name.startsWith(MASTER_PREFIX)) {
                    String parameter = name.substring(MASTER_PREFIX.length());
                    INDArray target = model.parameters().get(parameter);
                    if (target == null || target.length() != array.length()) {
                        throw new ModelLoadException(optimizerFile + ": '" + name + "' does not match a parameter of "
                                + "the model in " + dir);
                    }
                    target.assign(array.reshape(target.shape()));            // same shape as saved: the exact float32 weights
                } else {
                    optimizerState.put(name, array);
                }
            }
        }
        return new Checkpoint(model, optimizerState, state);
    }

    private static void writeState(Path file, TrainingState state, Dtype dtype) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("step", state.step());
        root.put("sampler_state", state.samplerState());
        root.put("seed", state.seed());
        putLoss(root, "train_loss", state.trainLoss());
        putLoss(root, "val_loss", state.validationLoss());
        root.put("model_dtype", dtype.name());
        try {
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(temporary, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
            Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new NextTokenException(file + ": cannot write the training state: " + e, e);
        }
    }

    private static void putLoss(ObjectNode root, String key, double value) {
        if (Double.isNaN(value)) {
            root.putNull(key);
        } else {
            root.put(key, value);
        }
    }

    private static TrainingState readState(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read the training state: " + e.getMessage(), e);
        }
        if (root == null || !root.path("format").canConvertToInt() || root.path("format").asInt() != FORMAT) {
            throw new ModelLoadException(file + ": not a training state of format " + FORMAT);
        }
        for (String key : new String[] {"step", "sampler_state", "seed"}) {
            if (!root.path(key).canConvertToLong()) {
                throw new ModelLoadException(file + ": '" + key + "' is missing or not an integer");
            }
        }
        return new TrainingState(root.get("step").asLong(), root.get("sampler_state").asLong(), root.get("seed").asLong(),
                loss(root, "train_loss"), loss(root, "val_loss"));
    }

    private static double loss(JsonNode root, String key) {
        JsonNode node = root.path(key);
        return node.isNumber() ? node.asDouble() : Double.NaN;
    }
}
