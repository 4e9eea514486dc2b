package dev.nexttoken.core.model;

import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.io.ConfigJson;
import dev.nexttoken.core.io.FileChecks;
import dev.nexttoken.core.io.OffHeapLimits;
import dev.nexttoken.core.io.SafetensorsFile;
import dev.nexttoken.core.io.TensorInfo;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * All the weights of a GPT-2 model, as float32 Nd4j arrays, with the configuration they fit.
 *
 * <p>Made by {@link #load(Path)} from a Hugging Face GPT-2 folder ({@code config.json} +
 * {@code model.safetensors}), by {@link #random(Gpt2Config, long)}, or by
 * {@link #of(Gpt2Config, INDArray, INDArray, List, INDArray, INDArray)} from arrays.
 *
 * <p>Shapes, with C = {@code n_embd}, V = {@code vocab_size}, P = {@code n_positions}:
 * {@code wte} [V, C], {@code wpe} [P, C], {@code lnFGamma} and {@code lnFBeta} [C], and per block
 * the shapes listed in {@link LayerWeights} (GPT-2's Conv1D layout {@code [in, out]}, as stored).
 * The output layer ({@code lm_head}) has no weight of its own: it is tied to {@code wte}, so
 * logits are {@code x · wteᵀ}.
 *
 * <p><strong>Loaded weights are read into memory by default</strong>, so the model no longer
 * depends on its file: the file may be overwritten, truncated or deleted while the model runs,
 * and a generation in flight goes on with the weights it loaded. A copy costs a fraction of a
 * second more to load (the measurements are in docs/RELIABILITY.md) and is private memory. With
 * {@link LoadOptions#withMemoryMapped(boolean)}, float32 tensors are used in place over the
 * memory-mapped file instead: a near-instant load and page-cache memory shared with other
 * processes, but the file <em>must not change while the model is open</em>: a truncated file
 * makes the next read of a missing page a {@code SIGBUS} in native code, which ends the JVM, and
 * bytes overwritten in place change the results. Mapped arrays are read-only: writing into them
 * ({@code addi}, {@code assign}, an op with one as its output) crashes the JVM; copy with
 * {@code dup()}. Arrays read into memory, and those from {@link #random} and {@link #of}, are
 * ordinary, writable arrays.
 *
 * <p>{@link #close()} releases the weights. For weights loaded from a file it does so at once:
 * the file is unmapped and the copies are freed, so arrays obtained from them must not be used
 * afterwards (a {@link Gpt2Model} makes sure none of its passes runs when it closes its weights).
 * Weights from {@link #random} and {@link #of} are ordinary arrays the caller may still hold: it
 * drops its references and the garbage collector frees them. The accessors throw
 * {@link IllegalStateException} after {@code close()}.
 */
public final class Gpt2Weights implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gpt2Weights.class);

    /** The prefix Hugging Face's {@code GPT2LMHeadModel} puts before the transformer's tensors. */
    private static final String PREFIX = "transformer.";
    private static final String LM_HEAD = "lm_head.weight";
    /** The tensor names of block N after {@code h.N.}, in {@link LayerWeights} component order. */
    private static final List<String> LAYER_TENSORS = List.of(
            "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
            "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
            "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias");
    /** Non-weight buffers some GPT-2 checkpoints carry: the causal mask and its fill value. */
    private static final List<String> LAYER_BUFFERS = List.of("attn.bias", "attn.masked_bias");
    private static final Pattern LAYER_NAME = Pattern.compile("h\\.(\\d+)\\.(.+)");

    private final Gpt2Config config;
    private final SafetensorsFile source;
    private INDArray wte;
    private INDArray wpe;
    private List<LayerWeights> layers;
    private INDArray lnFGamma;
    private INDArray lnFBeta;
    private volatile boolean closed;

    /** Receives the loading progress, for a progress bar. */
    @FunctionalInterface
    public interface ProgressListener {
        /**
         * Called after each tensor is loaded.
         *
         * @param bytesLoaded bytes of tensor data loaded so far
         * @param bytesTotal  bytes of tensor data to load in all
         */
        void progress(long bytesLoaded, long bytesTotal);
    }

    /**
     * How {@link #load(Path, LoadOptions)} loads weights. Start from {@link #defaults()}.
     *
     * @param checkFinite  scan every tensor for NaN and infinite values and refuse the model if
     *                     one has any (costs one pass over the file)
     * @param memoryMapped use float32 tensors in place over the memory-mapped file instead of
     *                     reading them into memory: loads faster and shares the page cache, but
     *                     the file must not change while the weights are open (see the class
     *                     description)
     * @param progress     told after each tensor; never null
     */
    public record LoadOptions(boolean checkFinite, boolean memoryMapped, ProgressListener progress) {

        /**
         * @param checkFinite  scan for NaN and infinite values
         * @param memoryMapped map float32 tensors instead of reading them into memory
         * @param progress     told after each tensor; not null ({@link #defaults()} has one that
         *                     does nothing)
         */
        public LoadOptions {
            Objects.requireNonNull(progress, "progress");
        }

        /** @return no finite check, weights read into memory, no progress reports */
        public static LoadOptions defaults() {
            return new LoadOptions(false, false, (loaded, total) -> { });
        }

        /**
         * @param check whether to scan for NaN and infinite values
         * @return a copy with that setting
         */
        public LoadOptions withCheckFinite(boolean check) {
            return new LoadOptions(check, memoryMapped, progress);
        }

        /**
         * @param mapped whether to use float32 tensors in place over the memory-mapped file
         *               (read-only arrays; the file must not change while they are open)
         * @return a copy with that setting
         */
        public LoadOptions withMemoryMapped(boolean mapped) {
            return new LoadOptions(checkFinite, mapped, progress);
        }

        /**
         * @param listener told after each tensor
         * @return a copy with that listener
         */
        public LoadOptions withProgress(ProgressListener listener) {
            return new LoadOptions(checkFinite, memoryMapped, listener);
        }
    }

    /** A tensor the model needs: its name without prefix, its shape, and where that comes from. */
    private record Expected(String name, long[] shape, String dims) {
    }

    private Gpt2Weights(Gpt2Config config, Map<String, INDArray> tensors, SafetensorsFile source) {
        this.config = config;
        this.source = source;
        this.wte = tensors.get("wte.weight");
        this.wpe = tensors.get("wpe.weight");
        this.lnFGamma = tensors.get("ln_f.weight");
        this.lnFBeta = tensors.get("ln_f.bias");
        List<LayerWeights> blocks = new ArrayList<>(config.nLayer());
        for (int i = 0; i < config.nLayer(); i++) {
            INDArray[] t = new INDArray[LAYER_TENSORS.size()];
            for (int k = 0; k < t.length; k++) {
                t[k] = tensors.get("h." + i + "." + LAYER_TENSORS.get(k));
            }
            blocks.add(new LayerWeights(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11]));
        }
        this.layers = List.copyOf(blocks);
    }

    // ------------------------------------------------------------------------------------------
    // Factories

    /**
     * Loads a Hugging Face GPT-2 folder with the default options (weights read into memory).
     *
     * @param modelDir a folder holding {@code config.json} and {@code model.safetensors}
     * @return the weights; close them when done
     * @throws ModelLoadException if the folder or a file is missing or invalid, or the weights do
     *                            not fit the configuration; the message names the file and tensor
     * @see #load(Path, LoadOptions)
     */
    public static Gpt2Weights load(Path modelDir) {
        return load(modelDir, LoadOptions.defaults());
    }

    /**
     * Loads a Hugging Face GPT-2 folder, reporting progress.
     *
     * @param modelDir a folder holding {@code config.json} and {@code model.safetensors}
     * @param progress told after each tensor
     * @return the weights; close them when done
     * @throws ModelLoadException as {@link #load(Path, LoadOptions)}
     */
    public static Gpt2Weights load(Path modelDir, ProgressListener progress) {
        return load(modelDir, LoadOptions.defaults().withProgress(progress));
    }

    /**
     * Loads a Hugging Face GPT-2 folder.
     *
     * <p>Tensor names are Hugging Face's ({@code wte.weight}, {@code h.0.attn.c_attn.weight}, ...,
     * {@code ln_f.bias}), with or without the {@code transformer.} prefix. The buffers
     * {@code h.N.attn.bias} and {@code h.N.attn.masked_bias} are ignored. An {@code lm_head.weight}
     * is accepted if it has shape [V, C] and the same dtype and bytes as {@code wte.weight}
     * (GPT-2 ties them), and is then not loaded; an untied one is refused. F16 and BF16 tensors
     * are converted to float32 one at a time; float32 tensors are read into memory, or used in
     * place with {@link LoadOptions#memoryMapped()} (see the class description).
     *
     * @param modelDir a folder holding {@code config.json} and {@code model.safetensors}
     * @param options  how to load
     * @return the weights; close them when done
     * @throws ModelLoadException if the folder or a file is missing, not a folder or regular file
     *                            (a FIFO, device, symbolic-link loop), unreadable or invalid, a tensor is
     *                            missing, unexpected, of another shape than the configuration
     *                            implies or of an unsupported dtype, or (with
     *                            {@code checkFinite}) holds NaN or infinity; the message names the
     *                            file and the tensor
     */
    public static Gpt2Weights load(Path modelDir, LoadOptions options) {
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(options, "options");
        FileChecks.requireFolder(modelDir, "model folder",
                "not a folder; expected a model folder holding config.json and model.safetensors");
        Path configFile = modelDir.resolve("config.json");
        Path weightsFile = modelDir.resolve("model.safetensors");
        FileChecks.requireRegularFile(configFile, "config.json file", "config.json not found in the model folder");
        FileChecks.requireRegularFile(weightsFile, ".safetensors file",
                "model.safetensors not found in the model folder" + missingWeightsHint(modelDir));
        long start = System.nanoTime();
        Gpt2Config config = ConfigJson.read(configFile);
        SafetensorsFile file = SafetensorsFile.open(weightsFile);
        try {
            Gpt2Weights weights = new Gpt2Weights(config, readTensors(config, file, options), file);
            LOG.debug("loaded {} in {} ms", weights, (System.nanoTime() - start) / 1_000_000);
            return weights;
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * Creates a GPT-2 with random weights, initialised as GPT-2 is for training: weights drawn
     * from normal(0, 0.02), except the two residual projections ({@code attn.c_proj.weight},
     * {@code mlp.c_proj.weight}) from normal(0, 0.02/√(2·n_layer)); biases 0; LayerNorm scale 1,
     * shift 0. The arrays are allocated off the Java heap (a full-size gpt2-xl needs ~6.2 GB of
     * native memory and no heap) and are writable.
     *
     * @param config the model's shape
     * @param seed   the same seed gives the same weights
     * @return the weights
     */
    public static Gpt2Weights random(Gpt2Config config, long seed) {
        Objects.requireNonNull(config, "config");
        OffHeapLimits.apply();
        double std = 0.02;
        double residualStd = 0.02 / Math.sqrt(2.0 * config.nLayer());
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        Random rng = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        try {
            for (Expected expected : expectedTensors(config)) {
                String name = expected.name();
                long[] shape = expected.shape();
                INDArray array;
                if (name.endsWith("c_proj.weight")) {
                    array = normal(shape, residualStd, rng);
                } else if (name.endsWith(".bias")) {
                    array = Nd4j.zeros(DataType.FLOAT, shape);
                } else if (name.startsWith("ln_") || name.contains(".ln_")) {
                    array = Nd4j.ones(DataType.FLOAT, shape);     // LayerNorm scale
                } else {
                    array = normal(shape, std, rng);
                }
                tensors.put(name, array);
            }
        } finally {
            try {
                rng.close();
            } catch (Exception ignored) {
                // the generator's native state is freed by the garbage collector instead
            }
        }
        return new Gpt2Weights(config, tensors, null);
    }

    /**
     * Wraps existing arrays (for example trained ones) as model weights. The arrays are used as
     * they are, not copied.
     *
     * @param config   the model's shape
     * @param wte      token embeddings [V, C]
     * @param wpe      position embeddings [P, C]
     * @param layers   one {@link LayerWeights} per block, {@code config.nLayer()} of them
     * @param lnFGamma final LayerNorm scale [C]
     * @param lnFBeta  final LayerNorm shift [C]
     * @return the weights
     * @throws IllegalArgumentException if an array is not float32 or its shape does not fit the
     *                                  configuration; the message names the tensor
     */
    public static Gpt2Weights of(Gpt2Config config, INDArray wte, INDArray wpe, List<LayerWeights> layers,
                                 INDArray lnFGamma, INDArray lnFBeta) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(layers, "layers");
        if (layers.size() != config.nLayer()) {
            throw new IllegalArgumentException("expected " + config.nLayer() + " layers (n_layer), got " + layers.size());
        }
        Map<String, INDArray> tensors = tensorMap(wte, wpe, layers, lnFGamma, lnFBeta);
        for (Expected expected : expectedTensors(config)) {
            INDArray array = Objects.requireNonNull(tensors.get(expected.name()), expected.name());
            if (!Arrays.equals(array.shape(), expected.shape())) {
                throw new IllegalArgumentException("tensor '" + expected.name() + "' has shape "
                        + Arrays.toString(array.shape()) + ", expected " + Arrays.toString(expected.shape())
                        + " (" + expected.dims() + ")");
            }
            if (array.dataType() != DataType.FLOAT) {
                throw new IllegalArgumentException("tensor '" + expected.name() + "' has data type "
                        + array.dataType() + ", expected FLOAT");
            }
        }
        return new Gpt2Weights(config, tensors, null);
    }

    // ------------------------------------------------------------------------------------------
    // Accessors

    /** @return the configuration these weights fit */
    public Gpt2Config config() {
        return config;
    }

    /** @return token embeddings, [V, C]; also the (tied) output layer */
    public INDArray wte() {
        ensureOpen();
        return wte;
    }

    /** @return position embeddings, [P, C] */
    public INDArray wpe() {
        ensureOpen();
        return wpe;
    }

    /** @return the blocks, {@code config().nLayer()} of them, first block first; unmodifiable */
    public List<LayerWeights> layers() {
        ensureOpen();
        return layers;
    }

    /** @return the final LayerNorm's scale, [C] ({@code ln_f.weight}) */
    public INDArray lnFGamma() {
        ensureOpen();
        return lnFGamma;
    }

    /** @return the final LayerNorm's shift, [C] ({@code ln_f.bias}) */
    public INDArray lnFBeta() {
        ensureOpen();
        return lnFBeta;
    }

    /** @return the number of parameters, the tied {@code wte}/{@code lm_head} counted once */
    public long parameterCount() {
        return toTensorMap().values().stream().mapToLong(INDArray::length).sum();
    }

    /**
     * The weights under their Hugging Face names without prefix ({@code wte.weight},
     * {@code wpe.weight}, {@code h.N.*}, {@code ln_f.*}; no {@code lm_head}), in that order: the
     * map {@link SafetensorsFile#write} takes to save a checkpoint that {@link #load} and Hugging
     * Face read back.
     *
     * @return a new map of the arrays themselves (not copies)
     */
    public Map<String, INDArray> toTensorMap() {
        ensureOpen();
        return tensorMap(wte, wpe, layers, lnFGamma, lnFBeta);
    }

    /**
     * Releases the weights: for weights loaded from a file, unmaps the file and frees the copies
     * now; otherwise drops the references to the arrays. Safe to call twice. See the class
     * description.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (source != null) {
            for (INDArray array : tensorMap(wte, wpe, layers, lnFGamma, lnFBeta).values()) {
                if (array.closeable()) {
                    array.close();          // frees a copy now; either way, a later read fails in Nd4j
                }
            }
        }
        wte = null;
        wpe = null;
        layers = null;
        lnFGamma = null;
        lnFBeta = null;
        if (source != null) {
            source.closeAndUnmap();
        }
    }

    @Override
    public String toString() {
        return "Gpt2Weights[n_layer=" + config.nLayer() + ", n_head=" + config.nHead() + ", n_embd=" + config.nEmbd()
                + ", " + config.parameterCount() + " parameters"
                + (source != null ? ", from " + source.path() : "") + (closed ? ", closed" : "") + "]";
    }

    // ------------------------------------------------------------------------------------------
    // Loading

    private static Map<String, INDArray> readTensors(Gpt2Config config, SafetensorsFile file, LoadOptions options) {
        String where = file.path() + ": ";
        if (config.nLayer() > file.names().size()) {
            // say so before listing 12 expected names per block: n_layer may be in the billions
            throw new ModelLoadException(where + "config.json has n_layer=" + config.nLayer() + ", but the file holds only "
                    + file.names().size() + " tensors, not even one per block: the configuration does not belong to"
                    + " these weights");
        }
        Map<String, Expected> expected = new LinkedHashMap<>();
        for (Expected e : expectedTensors(config)) {
            expected.put(e.name(), e);
        }

        // 1. Sort every tensor in the file: a weight, an ignored buffer, the tied lm_head, or unexpected.
        Map<String, String> fileNames = new LinkedHashMap<>();          // name without prefix -> name in file
        String lmHead = null;
        boolean prefixed = false;
        for (String name : file.names()) {
            String bare = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
            prefixed |= !bare.equals(name);
            if (bare.equals(LM_HEAD)) {
                lmHead = name;
            } else if (expected.containsKey(bare)) {
                String other = fileNames.put(bare, name);
                if (other != null) {
                    throw new ModelLoadException(where + "tensors '" + other + "' and '" + name
                            + "' are the same weight; keep one of them");
                }
            } else if (!isIgnoredBuffer(bare, config)) {
                throw new ModelLoadException(where + unexpectedTensorMessage(name, bare, config));
            }
        }

        // 2. Every weight present, with a loadable dtype and the shape the configuration implies;
        //    an lm_head identical to wte.
        List<String> missing = expected.keySet().stream().filter(n -> !fileNames.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            String first = (prefixed ? PREFIX : "") + missing.get(0);
            throw new ModelLoadException(where + "missing tensor '" + first + "'"
                    + (missing.size() > 1 ? " (and " + (missing.size() - 1) + " more)" : ""));
        }
        long totalBytes = 0;
        for (Expected e : expected.values()) {
            TensorInfo info = file.info(fileNames.get(e.name()));
            checkTensor(info, e.shape(), e.dims(), where);
            totalBytes += info.byteLength();
        }
        if (lmHead != null) {
            checkTensor(file.info(lmHead), new long[]{config.vocabSize(), config.nEmbd()},
                    "vocab_size=" + config.vocabSize() + ", n_embd=" + config.nEmbd() + "; tied to wte.weight", where);
            if (!file.sameData(lmHead, fileNames.get("wte.weight"))) {
                throw new ModelLoadException(where + "tensor '" + lmHead + "' differs from '"
                        + fileNames.get("wte.weight") + "': this model's output layer is not tied to the token "
                        + "embedding, and nexttoken (like GPT-2) uses wte as the output layer");
            }
        }

        // 3. Load.
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        long loadedBytes = 0;
        for (Expected e : expected.values()) {
            String name = fileNames.get(e.name());
            if (options.checkFinite()) {
                checkFinite(file, name, where);
            }
            INDArray array = options.memoryMapped() ? file.load(name) : file.loadCopy(name);
            tensors.put(e.name(), array);
            loadedBytes += file.info(name).byteLength();
            options.progress().progress(loadedBytes, totalBytes);
        }
        file.requireUnchangedLength();
        return tensors;
    }

    private static void checkTensor(TensorInfo info, long[] shape, String dims, String where) {
        if (!info.dtype().isLoadable()) {
            throw new ModelLoadException(where + "tensor '" + info.name() + "' has unsupported dtype " + info.dtype()
                    + "; weights must be F32, F16 or BF16");
        }
        if (!Arrays.equals(info.shape(), shape)) {
            String hint = "";
            if (shape.length == 2 && info.shape().length == 2 && shape[0] != shape[1]
                    && info.shape()[0] == shape[1] && info.shape()[1] == shape[0]) {
                hint = "; it looks transposed (GPT-2 stores Conv1D weights as [in, out])";
            }
            throw new ModelLoadException(where + "tensor '" + info.name() + "' has shape "
                    + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(shape) + " (" + dims + ")" + hint);
        }
    }

    private static void checkFinite(SafetensorsFile file, String name, String where) {
        long index = file.firstNonFinite(name);
        if (index >= 0) {
            long[] shape = file.info(name).shape();
            long[] position = new long[shape.length];
            long rest = index;
            for (int d = shape.length - 1; d >= 0; d--) {              // flat row-major index -> [i, j, ...]
                position[d] = rest % shape[d];
                rest /= shape[d];
            }
            throw new ModelLoadException(where + "tensor '" + name + "' holds a NaN or infinite value at "
                    + Arrays.toString(position) + " (and maybe more): the checkpoint is damaged");
        }
    }

    private static boolean isIgnoredBuffer(String bare, Gpt2Config config) {
        Matcher m = LAYER_NAME.matcher(bare);
        return m.matches() && LAYER_BUFFERS.contains(m.group(2)) && layerIndex(m.group(1)) < config.nLayer();
    }

    private static String unexpectedTensorMessage(String name, String bare, Gpt2Config config) {
        Matcher m = LAYER_NAME.matcher(bare);
        if (m.matches() && layerIndex(m.group(1)) >= config.nLayer()) {
            return "unexpected tensor '" + name + "': config.json has n_layer=" + config.nLayer()
                    + ", so the blocks are h.0 to h." + (config.nLayer() - 1);
        }
        return "unexpected tensor '" + name + "': not a GPT-2 weight (expected names like 'wte.weight', "
                + "'h.0.attn.c_attn.weight' or 'ln_f.bias', optionally prefixed 'transformer.')";
    }

    private static long layerIndex(String digits) {
        return digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    private static String missingWeightsHint(Path modelDir) {
        if (Files.exists(modelDir.resolve("model.safetensors.index.json"))) {
            return " (this folder holds a sharded checkpoint, which nexttoken does not read; GPT-2 models "
                    + "up to gpt2-xl come as one model.safetensors)";
        }
        if (Files.exists(modelDir.resolve("pytorch_model.bin"))) {
            return " (this folder holds pytorch_model.bin; nexttoken reads only the safetensors format: "
                    + "download model.safetensors from the same Hugging Face repository)";
        }
        return "";
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /** The tensors a model of this configuration has, in checkpoint order, without prefix. */
    private static List<Expected> expectedTensors(Gpt2Config config) {
        long c = config.nEmbd();
        String embd = "n_embd=" + c;
        List<Expected> list = new ArrayList<>();
        list.add(new Expected("wte.weight", new long[]{config.vocabSize(), c},
                "vocab_size=" + config.vocabSize() + ", " + embd));
        list.add(new Expected("wpe.weight", new long[]{config.nPositions(), c},
                "n_positions=" + config.nPositions() + ", " + embd));
        long[][] layerShapes = {
                {c}, {c}, {c, 3 * c}, {3 * c}, {c, c}, {c}, {c}, {c}, {c, 4 * c}, {4 * c}, {4 * c, c}, {c}};
        for (int i = 0; i < config.nLayer(); i++) {
            for (int k = 0; k < LAYER_TENSORS.size(); k++) {
                list.add(new Expected("h." + i + "." + LAYER_TENSORS.get(k), layerShapes[k], embd));
            }
        }
        list.add(new Expected("ln_f.weight", new long[]{c}, embd));
        list.add(new Expected("ln_f.bias", new long[]{c}, embd));
        return list;
    }

    private static Map<String, INDArray> tensorMap(INDArray wte, INDArray wpe, List<LayerWeights> layers,
                                                   INDArray lnFGamma, INDArray lnFBeta) {
        Map<String, INDArray> map = new LinkedHashMap<>();
        map.put("wte.weight", Objects.requireNonNull(wte, "wte"));
        map.put("wpe.weight", Objects.requireNonNull(wpe, "wpe"));
        for (int i = 0; i < layers.size(); i++) {
            LayerWeights w = layers.get(i);
            INDArray[] arrays = {w.ln1Gamma(), w.ln1Beta(), w.attnW(), w.attnB(), w.attnProjW(), w.attnProjB(),
                    w.ln2Gamma(), w.ln2Beta(), w.fcW(), w.fcB(), w.fcProjW(), w.fcProjB()};
            for (int k = 0; k < arrays.length; k++) {
                map.put("h." + i + "." + LAYER_TENSORS.get(k), arrays[k]);
            }
        }
        map.put("ln_f.weight", Objects.requireNonNull(lnFGamma, "lnFGamma"));
        map.put("ln_f.bias", Objects.requireNonNull(lnFBeta, "lnFBeta"));
        return map;
    }

    private static INDArray normal(long[] shape, double std, Random rng) {
        INDArray array = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        Nd4j.randn(0.0, std, array, rng);                            // fills in place, off-heap
        return array;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("these GPT-2 weights have been closed");
        }
    }
}
