package dev.nexttoken.core.model;

import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.io.ConfigJson;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.io.Float16;
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
    /** Every float32 tensor by name without prefix: the vectors, and the matrices kept as float32 (or widened). */
    private final Map<String, INDArray> tensors;
    /** The matrices kept in another format than float32, by name without prefix; empty when all are float32. */
    private final Map<String, WeightMatrix> packed;
    /** Float32 views of float32 matrices for the CPU path, made on first use. */
    private final Map<String, WeightMatrix> borrowed = new java.util.concurrent.ConcurrentHashMap<>();
    /** Float32 copies of the packed matrices made for {@link #wte()}, {@link #layers()}, {@link #toTensorMap()}. */
    private final java.util.Set<INDArray> widened = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

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
     * @param memoryMapped use tensors kept in their stored format in place over the memory-mapped
     *                     file instead of reading them into memory: loads faster and shares the
     *                     page cache, but the file must not change while the weights are open
     *                     (see the class description)
     * @param progress     told after each tensor; never null
     * @param format       the format the weight matrices are converted to on load (see
     *                     {@link #withFormat}), or null to keep the file's
     */
    public record LoadOptions(boolean checkFinite, boolean memoryMapped, ProgressListener progress,
                              WeightFormat format) {

        /**
         * @param checkFinite  scan for NaN and infinite values
         * @param memoryMapped map tensors instead of reading them into memory
         * @param progress     told after each tensor; not null ({@link #defaults()} has one that
         *                     does nothing)
         * @param format       the matrices' format after loading, or null for the file's
         */
        public LoadOptions {
            Objects.requireNonNull(progress, "progress");
        }

        /**
         * The options without a format conversion.
         *
         * @param checkFinite  scan for NaN and infinite values
         * @param memoryMapped map tensors instead of reading them into memory
         * @param progress     told after each tensor
         */
        public LoadOptions(boolean checkFinite, boolean memoryMapped, ProgressListener progress) {
            this(checkFinite, memoryMapped, progress, null);
        }

        /** @return no finite check, weights read into memory, no progress reports, the file's format */
        public static LoadOptions defaults() {
            return new LoadOptions(false, false, (loaded, total) -> { }, null);
        }

        /**
         * @param check whether to scan for NaN and infinite values
         * @return a copy with that setting
         */
        public LoadOptions withCheckFinite(boolean check) {
            return new LoadOptions(check, memoryMapped, progress, format);
        }

        /**
         * @param mapped whether to use tensors in place over the memory-mapped file (read-only;
         *               the file must not change while they are open)
         * @return a copy with that setting
         */
        public LoadOptions withMemoryMapped(boolean mapped) {
            return new LoadOptions(checkFinite, mapped, progress, format);
        }

        /**
         * @param listener told after each tensor
         * @return a copy with that listener
         */
        public LoadOptions withProgress(ProgressListener listener) {
            return new LoadOptions(checkFinite, memoryMapped, listener, format);
        }

        /**
         * Converts the five kinds of weight matrices (wte, which is also the lm_head, and each
         * block's {@code attn.c_attn}, {@code attn.c_proj}, {@code mlp.c_fc}, {@code mlp.c_proj})
         * to {@code format} on load, one tensor at a time: rounded to float16 / bfloat16, or
         * quantized to {@link WeightFormat#Q8} (docs/FORMATS.md). The other tensors (biases,
         * LayerNorms, {@code wpe}) stay float32, as {@code nexttoken convert} writes them, so that
         * loading with a format gives exactly what converting the file and loading the result gives.
         *
         * @param format the matrices' format, or null to keep the file's
         * @return a copy with that setting
         */
        public LoadOptions withFormat(WeightFormat format) {
            return new LoadOptions(checkFinite, memoryMapped, progress, format);
        }
    }

    /** A tensor the model needs: its name without prefix, its shape, and where that comes from. */
    private record Expected(String name, long[] shape, String dims) {
    }

    private Gpt2Weights(Gpt2Config config, Map<String, INDArray> tensors, SafetensorsFile source) {
        this(config, tensors, Map.of(), source);
    }

    private Gpt2Weights(Gpt2Config config, Map<String, INDArray> tensors, Map<String, WeightMatrix> packed,
                        SafetensorsFile source) {
        this.config = config;
        this.source = source;
        this.tensors = new LinkedHashMap<>(tensors);
        this.packed = new LinkedHashMap<>(packed);
        this.wpe = tensors.get("wpe.weight");
        this.lnFGamma = tensors.get("ln_f.weight");
        this.lnFBeta = tensors.get("ln_f.bias");
        if (packed.isEmpty()) {
            buildArrays();
        }
    }

    /** {@link #wte} and {@link #layers} from {@link #tensors}, which then holds every tensor as float32. */
    private void buildArrays() {
        this.wte = tensors.get("wte.weight");
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

    /**
     * Makes float32 arrays of the matrices kept in another format, once, for the accessors that
     * return arrays: the Nd4j pass, training, checkpoints. They are copies, held as long as the
     * weights are open, next to the format's own (see {@link #format()}).
     */
    private synchronized void ensureArrays() {
        ensureOpen();
        if (wte != null) {
            return;
        }
        for (Map.Entry<String, WeightMatrix> entry : packed.entrySet()) {
            INDArray array = entry.getValue().toFloatArray();
            widened.add(array);
            tensors.put(entry.getKey(), array);
        }
        buildArrays();
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
     * (GPT-2 ties them), and is then not loaded; an untied one is refused.
     *
     * <p>The five kinds of weight matrices (see {@link #format()}) are kept in the file's format
     * (F32, F16, BF16, or Q8 stored as an I8 tensor plus its {@code <name>.q8_scales} F16 tensor,
     * docs/FORMATS.md), or converted to {@link LoadOptions#format()} one tensor at a time, and read
     * into memory as they are stored, or used in place with {@link LoadOptions#memoryMapped()}
     * (see the class description). The other tensors are widened to float32. Where the CPU fast
     * path cannot run (a non-CPU backend), the matrices are widened to float32 arrays too, after
     * any conversion.
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
        return load(modelDir, options, false);
    }

    /**
     * {@link #load(Path, LoadOptions)}; with {@code keepFormat}, the matrices stay in their format
     * even where the CPU fast path cannot run (for {@link #save}).
     */
    static Gpt2Weights load(Path modelDir, LoadOptions options, boolean keepFormat) {
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
            Loaded loaded = readTensors(config, file, options);
            Gpt2Weights weights = new Gpt2Weights(config, loaded.tensors(), loaded.packed(), file);
            if (!keepFormat && !loaded.packed().isEmpty() && !CpuForwardPass.isAvailable()) {
                weights.ensureArrays();                     // the Nd4j pass reads float32 arrays only
                weights.packed.values().forEach(WeightMatrix::close);
                weights.packed.clear();
            }
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
        ensureArrays();
        return wte;
    }

    /** @return position embeddings, [P, C] */
    public INDArray wpe() {
        ensureOpen();
        return wpe;
    }

    /** @return the blocks, {@code config().nLayer()} of them, first block first; unmodifiable */
    public List<LayerWeights> layers() {
        ensureArrays();
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
        return expectedTensors(config).stream().mapToLong(e -> Arrays.stream(e.shape()).reduce(1, (a, b) -> a * b)).sum();
    }

    /**
     * @return the bytes the weights take in memory in their formats (the matrices as kept, the
     * other tensors as float32), not counting float32 copies made by {@link #wte()},
     * {@link #layers()} or {@link #toTensorMap()}
     */
    public long byteSize() {
        ensureOpen();
        long bytes = 0;
        for (Expected e : expectedTensors(config)) {
            WeightMatrix w = packed.get(e.name());
            bytes += w != null ? w.byteSize() : Arrays.stream(e.shape()).reduce(1, (a, b) -> a * b) * Float.BYTES;
        }
        return bytes;
    }

    /**
     * The format the weight matrices are kept in (wte, which is also the lm_head, and each
     * block's {@code attn.c_attn}, {@code attn.c_proj}, {@code mlp.c_fc}, {@code mlp.c_proj}):
     * the file's, or the one asked for with {@link LoadOptions#withFormat}; always
     * {@link WeightFormat#F32} for {@link #random} and {@link #of}, and for loads on a backend
     * without the CPU fast path. The biases, LayerNorms and {@code wpe} are always float32.
     *
     * <p>The CPU fast path reads the matrices in this format in place. The accessors that return
     * Nd4j arrays ({@link #wte()}, {@link #layers()}, {@link #toTensorMap()}), which the
     * {@link ComputePath#ND4J_OPS} pass, training and checkpoints use, widen them to float32
     * copies on first use, which then take 4 bytes a weight more for as long as the weights
     * are open.
     *
     * @return the matrices' format (wte's, if a file mixes formats)
     */
    public WeightFormat format() {
        ensureOpen();
        WeightMatrix w = packed.get("wte.weight");
        return w == null ? WeightFormat.F32 : w.format();
    }

    /**
     * A weight matrix in its format, without widening: one of the five kinds (see
     * {@link #format()}) by its name without prefix, such as {@code h.0.mlp.c_fc.weight}.
     */
    WeightMatrix matrix(String name) {
        ensureOpen();
        WeightMatrix w = packed.get(name);
        if (w != null) {
            return w;
        }
        return borrowed.computeIfAbsent(name, n -> WeightMatrix.borrow(Objects.requireNonNull(tensors.get(n), n)));
    }

    /** A float32 tensor that is not one of the packed matrices (a bias, a LayerNorm, wpe), as a new Java array. */
    float[] vector(String name) {
        ensureOpen();
        INDArray array = Objects.requireNonNull(tensors.get(name), name);
        INDArray flat = array.isView() || array.ordering() != 'c' ? array.dup('c') : array;
        return Arrays.copyOf(flat.data().asFloat(), (int) flat.length());
    }

    /** Whether a tensor (name without prefix) is one of the five kinds of matrices kept in their format. */
    static boolean isMatrix(String name) {
        return name.equals("wte.weight") || name.endsWith(".attn.c_attn.weight") || name.endsWith(".attn.c_proj.weight")
                || name.endsWith(".mlp.c_fc.weight") || name.endsWith(".mlp.c_proj.weight");
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
        ensureArrays();
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
            for (INDArray array : tensors.values()) {
                if (array.closeable() && !widened.contains(array)) {
                    array.close();          // frees a copy now; either way, a later read fails in Nd4j
                }
            }
        }
        for (INDArray array : widened) {
            if (array.closeable()) {
                array.close();
            }
        }
        widened.clear();
        packed.values().forEach(WeightMatrix::close);
        packed.clear();
        borrowed.clear();
        tensors.clear();
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
    // Saving and converting

    /**
     * Writes these weights as a model folder ({@code config.json} + {@code model.safetensors})
     * that {@link #load} reads back to the same values: the matrices in their {@link #format()}
     * as they are in memory (Q8 as an I8 tensor and its {@code .q8_scales}, docs/FORMATS.md), the
     * other tensors (biases, LayerNorms, {@code wpe}: a few MB) as float32. The folder is written under a
     * temporary name next to it and then renamed into place, so a failure never leaves a
     * half-written model at {@code modelDir}.
     *
     * @param modelDir  the folder to make; its parent must exist
     * @param overwrite whether an existing {@code modelDir} may be replaced
     * @throws IllegalArgumentException if {@code modelDir} exists and {@code overwrite} is false
     * @throws dev.nexttoken.core.NextTokenException if writing fails
     */
    public void save(Path modelDir, boolean overwrite) {
        ensureOpen();
        Path target = modelDir.toAbsolutePath().normalize();
        if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !overwrite) {
            throw new IllegalArgumentException(target + " already exists; choose another folder or allow overwriting");
        }
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException("the folder " + parent + " does not exist");
        }
        WeightFormat format = format();
        Dtype others = Dtype.F32;                            // the small tensors: exact, and a few MB at most
        Map<String, SafetensorsFile.RawTensor> raw = new LinkedHashMap<>();
        for (Expected e : expectedTensors(config)) {
            WeightMatrix w = packed.get(e.name());
            if (w != null) {
                raw.putAll(w.toRawTensors(e.name()));
            } else {
                raw.put(e.name(), encode(tensors.get(e.name()), isMatrix(e.name()) ? Dtype.F32 : others));
            }
        }
        Path staging = target.resolveSibling(target.getFileName() + dev.nexttoken.core.io.AtomicFiles.TEMPORARY_SUFFIX);
        Path old = target.resolveSibling(target.getFileName() + ".old");
        try {
            dev.nexttoken.core.io.FileTrees.delete(staging);
            Files.createDirectory(staging);
            ConfigJson.write(config, staging.resolve("config.json"));
            SafetensorsFile.writeRaw(staging.resolve("model.safetensors"), raw);
            if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                dev.nexttoken.core.io.FileTrees.delete(old);
                Files.move(target, old);
                dev.nexttoken.core.io.AtomicFiles.replace(staging, target);
                dev.nexttoken.core.io.FileTrees.delete(old);
            } else {
                dev.nexttoken.core.io.AtomicFiles.replace(staging, target);
            }
        } catch (java.io.IOException ex) {
            throw new dev.nexttoken.core.NextTokenException(target + ": cannot write the model: " + ex, ex);
        } finally {
            try {
                dev.nexttoken.core.io.FileTrees.delete(staging);
            } catch (java.io.IOException ignored) {
                // a leftover staging folder is replaced by the next save
            }
        }
    }

    /**
     * Converts a model folder to another weight format: loads {@code in} with
     * {@link LoadOptions#withFormat}{@code (format)} and {@link #save}s it to {@code out}, one
     * tensor converted at a time (the matrices are never all held as float32).
     *
     * @param in        a model folder
     * @param out       the folder to write
     * @param format    the matrices' format in {@code out}
     * @param overwrite whether an existing {@code out} may be replaced
     * @throws ModelLoadException       if {@code in} cannot be loaded
     * @throws IllegalArgumentException if {@code out} exists and {@code overwrite} is false, or is {@code in}
     */
    public static void convert(Path in, Path out, WeightFormat format, boolean overwrite) {
        Objects.requireNonNull(format, "format");
        if (Files.exists(out) && Files.exists(in)) {
            try {
                if (Files.isSameFile(in, out)) {
                    throw new IllegalArgumentException("the output folder is the input folder: " + out);
                }
            } catch (java.io.IOException ignored) {
                // then they are not the same
            }
        }
        if (Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !overwrite) {
            throw new IllegalArgumentException(out + " already exists; choose another folder or allow overwriting");
        }
        try (Gpt2Weights weights = load(in, LoadOptions.defaults().withFormat(format), true)) {
            weights.save(out, overwrite);
        }
    }

    /** A float32 tensor's values as stored bytes of {@code dtype} (F32, F16 or BF16). */
    private static SafetensorsFile.RawTensor encode(INDArray array, Dtype dtype) {
        float[] values = array.dup('c').data().asFloat();
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(values.length * dtype.byteSize())
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            switch (dtype) {
                case F32 -> bytes.putFloat(value);
                case F16 -> bytes.putShort(Float16.floatToHalf(value));
                case BF16 -> bytes.putShort(Float16.floatToBf16(value));
                default -> throw new AssertionError(dtype);
            }
        }
        return new SafetensorsFile.RawTensor(dtype, array.shape(), bytes.flip());
    }

    // ------------------------------------------------------------------------------------------
    // Loading

    /** What {@link #readTensors} loaded: float32 arrays, and the matrices kept in another format. */
    private record Loaded(Map<String, INDArray> tensors, Map<String, WeightMatrix> packed) {
    }

    private static Loaded readTensors(Gpt2Config config, SafetensorsFile file, LoadOptions options) {
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
        Map<String, String> scaleNames = new LinkedHashMap<>();         // matrix name without prefix -> its Q8 scales in file
        String lmHead = null;
        boolean prefixed = false;
        for (String name : file.names()) {
            String bare = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
            prefixed |= !bare.equals(name);
            if (bare.equals(LM_HEAD)) {
                lmHead = name;
            } else if (bare.endsWith(WeightMatrix.Q8_SCALES) && isMatrix(bare.substring(0, bare.length()
                    - WeightMatrix.Q8_SCALES.length())) && expected.containsKey(bare.substring(0, bare.length()
                    - WeightMatrix.Q8_SCALES.length()))) {
                scaleNames.put(bare.substring(0, bare.length() - WeightMatrix.Q8_SCALES.length()), name);
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
            String scales = scaleNames.get(e.name());
            if (info.dtype() == Dtype.I8 && isMatrix(e.name())) {
                checkQ8(info, scales == null ? null : file.info(scales), e, where);
                totalBytes += file.info(scales).byteLength();
            } else {
                checkTensor(info, e.shape(), e.dims(), where);
                if (scales != null) {
                    throw new ModelLoadException(where + "tensor '" + scales + "' holds Q8 scales, but '" + info.name()
                            + "' is " + info.dtype() + ", not I8");
                }
            }
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

        // 3. Load: the matrices in their format (or converted), the rest as float32.
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        Map<String, WeightMatrix> packed = new LinkedHashMap<>();
        WeightFormat target = options.format();
        long loadedBytes = 0;
        try {
            for (Expected e : expected.values()) {
                String name = fileNames.get(e.name());
                String scales = scaleNames.get(e.name());
                if (options.checkFinite()) {
                    checkFinite(file, name, where);
                    if (scales != null) {
                        checkFinite(file, scales, where);
                    }
                }
                if (isMatrix(e.name())) {
                    WeightFormat stored = formatOf(file.info(name).dtype());
                    WeightFormat wanted = target == null ? stored : target;
                    if (wanted == WeightFormat.F32) {
                        tensors.put(e.name(), stored == WeightFormat.Q8 ? widenQ8(file, name, scales, e)
                                : options.memoryMapped() ? file.load(name) : file.loadCopy(name));
                    } else if (wanted == stored) {
                        packed.put(e.name(), stored(file, name, scales, stored, e, options.memoryMapped()));
                    } else {
                        INDArray floats = stored == WeightFormat.Q8 ? widenQ8(file, name, scales, e) : file.loadCopy(name);
                        try {
                            packed.put(e.name(), WeightMatrix.fromFloats(wanted, floats));
                        } finally {
                            floats.close();
                        }
                    }
                } else {
                    tensors.put(e.name(), options.memoryMapped() ? file.load(name) : file.loadCopy(name));
                }
                loadedBytes += file.info(name).byteLength() + (scales == null ? 0 : file.info(scales).byteLength());
                options.progress().progress(loadedBytes, totalBytes);
            }
            file.requireUnchangedLength();
        } catch (RuntimeException ex) {
            packed.values().forEach(WeightMatrix::close);
            throw ex;
        }
        return new Loaded(tensors, packed);
    }

    /** The format of a stored matrix's dtype (I8 is Q8's values). */
    private static WeightFormat formatOf(Dtype dtype) {
        return switch (dtype) {
            case F32 -> WeightFormat.F32;
            case F16 -> WeightFormat.F16;
            case BF16 -> WeightFormat.BF16;
            case I8 -> WeightFormat.Q8;
            default -> throw new IllegalArgumentException(dtype.toString());
        };
    }

    /** A stored matrix as it is: its bytes (and Q8 scales) read into memory, or mapped. */
    private static WeightMatrix stored(SafetensorsFile file, String name, String scales, WeightFormat format,
                                       Expected e, boolean mapped) {
        int rows = (int) e.shape()[0];
        int cols = (int) e.shape()[1];
        if (mapped) {
            return WeightMatrix.of(format, rows, cols, file.mapRaw(name), scales == null ? null : file.mapRaw(scales),
                    List.of(), file);
        }
        INDArray values = file.loadRaw(name);
        INDArray scaleArray = null;
        try {
            scaleArray = scales == null ? null : file.loadRaw(scales);
        } catch (RuntimeException ex) {
            values.close();
            throw ex;
        }
        List<INDArray> owner = scaleArray == null ? List.of(values) : List.of(values, scaleArray);
        return WeightMatrix.of(format, rows, cols, WeightMatrix.view(values),
                scaleArray == null ? null : WeightMatrix.view(scaleArray), owner, null);
    }

    /** A Q8 matrix of the file dequantized into a new float32 array. */
    private static INDArray widenQ8(SafetensorsFile file, String name, String scales, Expected e) {
        try (WeightMatrix q8 = stored(file, name, scales, WeightFormat.Q8, e, false)) {
            return q8.toFloatArray();
        }
    }

    /** A Q8 matrix's two tensors: I8 values of the expected shape, F16 scales [ceil(rows / 32), cols]. */
    private static void checkQ8(TensorInfo values, TensorInfo scales, Expected e, String where) {
        if (!Arrays.equals(values.shape(), e.shape())) {
            throw new ModelLoadException(where + "tensor '" + values.name() + "' has shape "
                    + Arrays.toString(values.shape()) + ", expected " + Arrays.toString(e.shape()) + " (" + e.dims() + ")");
        }
        if (scales == null) {
            throw new ModelLoadException(where + "tensor '" + values.name() + "' is I8 but has no '" + values.name()
                    + WeightMatrix.Q8_SCALES + "' F16 tensor: Q8 weights need their scales (docs/FORMATS.md)");
        }
        long[] shape = {WeightFormat.q8Blocks((int) e.shape()[0]), e.shape()[1]};
        long[] rowBlocks = {e.shape()[0], WeightFormat.q8Blocks((int) e.shape()[1])};
        if (scales.dtype() == Dtype.F16 && Arrays.equals(scales.shape(), rowBlocks)) {
            throw new ModelLoadException(where + "tensor '" + scales.name() + "' is F16 " + Arrays.toString(rowBlocks)
                    + ": Q8 scales along the rows, the layout of nexttoken before its integer kernels; this version"
                    + " keeps one scale per 32 values of a column, " + Arrays.toString(shape) + ". Convert the"
                    + " model again from its F32, F16 or BF16 file (nexttoken convert --dtype q8, docs/FORMATS.md)");
        }
        if (scales.dtype() != Dtype.F16 || !Arrays.equals(scales.shape(), shape)) {
            throw new ModelLoadException(where + "tensor '" + scales.name() + "' is " + scales.dtype() + " "
                    + Arrays.toString(scales.shape()) + ", expected F16 " + Arrays.toString(shape)
                    + " (one scale per 32 values of a column, docs/FORMATS.md)");
        }
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
