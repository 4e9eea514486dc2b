package dev.nexttoken.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.io.AtomicFiles;
import dev.nexttoken.core.io.ConfigJson;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.io.SafetensorsFile;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Weights;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A training checkpoint: the weights, AdamW's moments and where the run stood, written so that a
 * crash at any moment leaves the last complete checkpoint loadable, and read only if complete and
 * consistent. The model folder stays a Hugging Face GPT-2 folder that {@code Generator.load} and
 * {@code Gpt2Weights.load} read like any other:
 *
 * <pre>
 *   DIR/config.json, DIR/model.safetensors   the current checkpoint's model (hard links to its files)
 *   DIR/training/latest                      the name of the current checkpoint folder
 *   DIR/training/step-N/config.json          the model's shape
 *   DIR/training/step-N/model.safetensors    the weights, F32 or F16
 *   DIR/training/step-N/optimizer.safetensors F32: AdamW's moments exp_avg.NAME and exp_avg_sq.NAME,
 *                                            and, when model.safetensors is not F32, the exact
 *                                            float32 weights as param.NAME
 *   DIR/training/step-N/state.json           step, window-generator state, seed, last losses
 *   DIR/training/step-N/manifest.json        the step, and every file's size and SHA-256, written last
 * </pre>
 *
 * <p>{@link CheckpointFolders} says how a new checkpoint becomes current in one step;
 * {@link CheckpointManifest} how a load proves the files complete and of one step. To ship only
 * the model, copy {@code config.json} and {@code model.safetensors}.
 *
 * @param model          the weights, ready to train on (float32)
 * @param optimizerState AdamW's moments, as {@link AdamW#state()} names them
 * @param state          where the run stood
 */
public record Checkpoint(TrainableGpt2 model, Map<String, INDArray> optimizerState, TrainingState state) {

    /** The subfolder with the resume files. */
    public static final String TRAINING_DIR = "training";
    private static final String CONFIG_FILE = "config.json";
    private static final String MODEL_FILE = "model.safetensors";
    private static final String STATE_FILE = "state.json";
    private static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** A checkpoint folder's files besides the manifest, in writing order. */
    private static final List<String> FILES = List.of(CONFIG_FILE, MODEL_FILE, OPTIMIZER_FILE, STATE_FILE);
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
     * Writes a checkpoint into a new folder under {@code dir/training}, makes it the current one
     * in one step, publishes its model at the top of {@code dir}, and deletes the earlier one.
     * Every file is flushed to the disk before the switch.
     *
     * @param dir       the model folder, created if needed
     * @param model     the weights
     * @param optimizer the optimizer whose moments to keep
     * @param state     where the run stands
     * @param options   the run's hyper-parameters, kept in {@code state.json} so that a resume can take them
     *                  ({@link #savedOptions})
     * @param dtype     {@link Dtype#F32} or {@link Dtype#F16} for {@code model.safetensors}
     * @throws IllegalArgumentException for another dtype
     * @throws NextTokenException       if a file cannot be written; the previous checkpoint then stays current
     */
    public static void save(Path dir, TrainableGpt2 model, AdamW optimizer, TrainingState state, TrainOptions options,
                            Dtype dtype) {
        Objects.requireNonNull(dir, "dir");
        if (dtype != Dtype.F32 && dtype != Dtype.F16) {
            throw new IllegalArgumentException("checkpoints are written as F32 or F16, not " + dtype);
        }
        CheckpointFolders folders = new CheckpointFolders(dir);
        long step = state.step();
        Path staged = folders.stage(step);
        ConfigJson.write(model.config(), staged.resolve(CONFIG_FILE));
        written(staged, CONFIG_FILE, step);
        try (Gpt2Weights weights = model.toWeights()) {
            SafetensorsFile.write(staged.resolve(MODEL_FILE), weights.toTensorMap(), dtype);
        }
        written(staged, MODEL_FILE, step);
        Map<String, INDArray> resume = new LinkedHashMap<>(optimizer.state());
        if (dtype != Dtype.F32) {
            model.parameters().forEach((name, p) -> resume.put(MASTER_PREFIX + name, p));
        }
        SafetensorsFile.write(staged.resolve(OPTIMIZER_FILE), resume, Dtype.F32);
        written(staged, OPTIMIZER_FILE, step);
        writeState(staged.resolve(STATE_FILE), state, options, dtype);
        written(staged, STATE_FILE, step);
        CheckpointManifest.describe(staged, step, FILES).write(staged);
        CheckpointHalt.reached(step, CheckpointManifest.FILE);
        folders.commit(staged, step, List.of(CONFIG_FILE, MODEL_FILE));
    }

    /** Flushes a written file to the disk. */
    private static void written(Path folder, String name, long step) {
        Path file = folder.resolve(name);
        try {
            AtomicFiles.force(file);
        } catch (IOException e) {
            throw new NextTokenException(file + ": cannot flush the checkpoint file: " + e, e);
        }
        CheckpointHalt.reached(step, name);
    }

    /**
     * Whether a folder holds a committed checkpoint (one that {@link #load} will then check).
     *
     * @param dir a folder
     * @return true if {@code training/latest} exists in it
     */
    public static boolean isResumable(Path dir) {
        return new CheckpointFolders(dir).hasCheckpoint();
    }

    /**
     * Checks a model folder's current checkpoint as {@link #load} does, without loading the
     * weights, and returns its model shape: for a command line to refuse a bad checkpoint before
     * it starts work.
     *
     * @param dir the model folder
     * @return its current checkpoint's configuration
     * @throws ModelLoadException naming the folder or file, if the checkpoint is missing, incomplete,
     *                            inconsistent or invalid
     */
    public static Gpt2Config verifiedConfig(Path dir) {
        Objects.requireNonNull(dir, "dir");
        Path folder = verified(dir);
        readState(folder.resolve(STATE_FILE));
        return ConfigJson.read(folder.resolve(CONFIG_FILE));
    }

    /** The current checkpoint folder, once its files are those of its manifest and state.json of its step. */
    private static Path verified(Path dir) {
        Path folder = new CheckpointFolders(dir).current();
        CheckpointManifest manifest = CheckpointManifest.read(folder);
        manifest.verify(folder, FILES);
        Path stateFile = folder.resolve(STATE_FILE);
        long step = readState(stateFile).step();
        if (step != manifest.step()) {
            throw new ModelLoadException(stateFile + ": step " + step + ", but " + CheckpointManifest.FILE
                    + " says step " + manifest.step() + ": the checkpoint mixes two steps");
        }
        return folder;
    }

    /**
     * Reads the current checkpoint of a model folder written by {@link #save}, after checking
     * that it is complete and consistent: every file listed in its manifest, of the listed size
     * and SHA-256, and {@code state.json} of the manifest's step.
     *
     * @param dir the model folder
     * @return the weights (float32, writable), the optimizer state and the run's state
     * @throws ModelLoadException naming the folder or file, if the checkpoint is missing, incomplete,
     *                            inconsistent or invalid
     */
    public static Checkpoint load(Path dir) {
        Objects.requireNonNull(dir, "dir");
        Path folder = verified(dir);
        TrainingState state = readState(folder.resolve(STATE_FILE));
        TrainableGpt2 model;
        try (Gpt2Weights weights = Gpt2Weights.load(folder, Gpt2Weights.LoadOptions.defaults())) {
            model = TrainableGpt2.of(weights);
        }
        Map<String, INDArray> optimizerState = new LinkedHashMap<>();
        Path optimizerFile = folder.resolve(OPTIMIZER_FILE);
        try (SafetensorsFile file = SafetensorsFile.open(optimizerFile)) {
            for (String name : file.names()) {
                INDArray array = file.loadCopy(name);
                if (name.startsWith(MASTER_PREFIX)) {
                    String parameter = name.substring(MASTER_PREFIX.length());
                    INDArray target = model.parameters().get(parameter);
                    if (target == null || target.length() != array.length()) {
                        throw new ModelLoadException(optimizerFile + ": '" + name + "' does not match a parameter of "
                                + "the model in " + folder);
                    }
                    target.assign(array.reshape(target.shape()));            // same shape as saved: the exact float32 weights
                } else {
                    optimizerState.put(name, array);
                }
            }
        }
        return new Checkpoint(model, optimizerState, state);
    }

    /**
     * The hyper-parameters of the run that wrote a model folder's current checkpoint, checked as
     * {@link #verifiedConfig} checks the checkpoint; empty for a checkpoint written before they
     * were kept.
     *
     * @param dir the model folder
     * @return the run's options
     * @throws ModelLoadException as {@link #verifiedConfig}, or if the kept options are invalid
     */
    public static Optional<TrainOptions> savedOptions(Path dir) {
        Objects.requireNonNull(dir, "dir");
        Path file = verified(dir).resolve(STATE_FILE);
        readState(file);
        JsonNode o;
        try {
            o = JSON.readTree(file.toFile()).path("options");
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read the training state: " + e.getMessage(), e);
        }
        if (o.isMissingNode()) {
            return Optional.empty();
        }
        try {
            return Optional.of(TrainOptions.builder()
                    .batchSize(o.get("batch_size").intValue()).blockSize(o.get("block_size").intValue())
                    .maxSteps(o.get("max_steps").longValue()).learningRate(o.get("learning_rate").doubleValue())
                    .minLearningRate(o.get("min_learning_rate").doubleValue())
                    .warmupSteps(o.get("warmup_steps").longValue()).decaySteps(o.get("decay_steps").longValue())
                    .weightDecay(o.get("weight_decay").doubleValue())
                    .betas(o.get("beta1").doubleValue(), o.get("beta2").doubleValue())
                    .epsilon(o.get("epsilon").doubleValue())
                    .gradClip(o.get("grad_clip").doubleValue()).evalInterval(o.get("eval_interval").longValue())
                    .evalBatches(o.get("eval_batches").intValue()).seed(o.get("seed").longValue())
                    .build());
        } catch (NullPointerException | IllegalArgumentException e) {
            throw new ModelLoadException(file + ": invalid 'options': " + e.getMessage(), e);
        }
    }

    private static void writeState(Path file, TrainingState state, TrainOptions options, Dtype dtype) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("step", state.step());
        root.put("sampler_state", state.samplerState());
        root.put("seed", state.seed());
        putLoss(root, "train_loss", state.trainLoss());
        putLoss(root, "val_loss", state.validationLoss());
        root.put("model_dtype", dtype.name());
        ObjectNode o = root.putObject("options");
        o.put("batch_size", options.batchSize());
        o.put("block_size", options.blockSize());
        o.put("max_steps", options.maxSteps());
        o.put("learning_rate", options.learningRate());
        o.put("min_learning_rate", options.minLearningRate());
        o.put("warmup_steps", options.warmupSteps());
        o.put("decay_steps", options.decaySteps());
        o.put("weight_decay", options.weightDecay());
        o.put("beta1", options.beta1());
        o.put("beta2", options.beta2());
        o.put("epsilon", options.epsilon());
        o.put("grad_clip", options.gradClip());
        o.put("eval_interval", options.evalInterval());
        o.put("eval_batches", options.evalBatches());
        o.put("seed", options.seed());
        try {
            AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
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
