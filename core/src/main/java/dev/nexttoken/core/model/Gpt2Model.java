package dev.nexttoken.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;

/**
 * GPT-2 written with Nd4j: token and position embeddings, {@code n_layer} pre-LayerNorm blocks
 * (causal self-attention, then an MLP with the tanh GELU), a final LayerNorm, and the
 * {@code lm_head}: a linear layer without bias whose weight is tied to {@code wte}.
 *
 * <p>The model is immutable and safe to share between threads; every call brings its own
 * {@link KvCache}. {@link #close()} may come at any time, from any thread: a forward pass that
 * is running finishes, later ones throw {@link IllegalStateException}, and the weights are
 * released as soon as the last running pass ends, never under one. The arithmetic lives in a {@link ComputePath}: plain Nd4j operations on any
 * backend, or a fast path of direct BLAS calls on the CPU backend.
 */
public final class Gpt2Model implements AutoCloseable {

    private final Gpt2Weights weights;
    private final Gpt2Config config;
    private final ComputePath path;
    /** The compute path over the weights; null once released, so nothing can read released weights. */
    private ForwardPass pass;
    /** Guards {@link #running}, {@link #closing} and the release of {@link #pass} and the weights. */
    private final Object lifecycle = new Object();
    /** Forward passes running now. */
    private int running;
    private boolean closing;

    /** Wraps loaded weights, computing on the fastest path the backend offers; the model owns and closes them. */
    public Gpt2Model(Gpt2Weights weights) {
        this(weights, ComputePath.AUTO);
    }

    /**
     * Wraps loaded weights, computing on the given path.
     *
     * @throws IllegalStateException if {@link ComputePath#CPU_BLAS} is asked for where it cannot run
     */
    public Gpt2Model(Gpt2Weights weights, ComputePath path) {
        this.weights = Objects.requireNonNull(weights, "weights");
        this.config = weights.config();
        this.path = resolve(Objects.requireNonNull(path, "path"));
        this.pass = this.path == ComputePath.CPU_BLAS ? new CpuForwardPass(weights) : new Nd4jForwardPass(weights);
    }

    private static ComputePath resolve(ComputePath path) {
        boolean cpuBlas = CpuForwardPass.isAvailable();
        if (path == ComputePath.CPU_BLAS && !cpuBlas) {
            throw new IllegalStateException("the CPU fast path needs Nd4j's CPU backend (nd4j-native) and "
                    + "OpenBLAS (org.bytedeco:openblas); use ComputePath.ND4J_OPS");
        }
        if (path == ComputePath.AUTO) {
            return cpuBlas ? ComputePath.CPU_BLAS : ComputePath.ND4J_OPS;
        }
        return path;
    }

    /** The path this model computes on ({@link ComputePath#CPU_BLAS} or {@link ComputePath#ND4J_OPS}). */
    public ComputePath computePath() {
        return path;
    }

    /**
     * What computes the products with the weight matrices, chosen once when the model is made:
     * on the CPU fast path {@code "native avx512-vnni"}, {@code "native avx512"} or {@code "native avx2"} (the native kernels,
     * every weight format read in place) or {@code "java"} (the portable fallback: OpenBLAS and
     * the Vector API for float32, Java loops for the 16- and 8-bit formats); {@code "nd4j"} on the
     * {@link ComputePath#ND4J_OPS} path (float32 only: other formats are widened for it). See
     * docs/FORMATS.md.
     *
     * @return the kernel's name, as {@code nexttoken bench} prints it
     */
    public String kernel() {
        return pass.kernel();
    }

    /** The model's shape. */
    public Gpt2Config config() {
        return config;
    }

    /** The weights this model runs on. */
    public Gpt2Weights weights() {
        return weights;
    }

    /** A new, empty cache for {@code batchSize} sequences of up to {@code n_positions} tokens. */
    public KvCache newCache(int batchSize) {
        return new KvCache(config, batchSize, config.nPositions());
    }

    /**
     * Runs {@code ids} (the same number of new tokens for every sequence) after the positions
     * already in {@code cache}, stores their keys and values in it, and returns the logits of
     * the last new position of each sequence.
     *
     * @param ids   {@code [B][T]} token ids, {@code B == cache.batchSize()}, {@code T >= 1}
     * @param cache the batch's attention memory; {@code cache.remaining() >= T}
     * @return logits {@code [B, vocab]}, owned by the cache: valid (and free to change in place)
     *         until the next forward on the same cache
     */
    public INDArray forward(int[][] ids, KvCache cache) {
        checkIds(ids, cache);
        ForwardPass open = acquire();
        try {
            return open.lastLogits(ids, cache);                          // [B, V]
        } finally {
            release();
        }
    }

    /**
     * One decode step of several caches in one pass: {@code ids[i]} holds one new token for each
     * sequence of {@code caches[i]}, run after that cache's own positions (each cache its own batch
     * size and length). On the CPU path with the native kernel (AVX-512) the rows of all caches
     * share each read of the weights; elsewhere the caches run one after the other. Either way each
     * cache's logits are exactly, bit for bit, what {@link #forward} gives it alone, whatever the
     * other caches hold: what lets a server decode concurrent requests together.
     *
     * @param ids    {@code [caches][B_i]} one token id per sequence, {@code ids[i].length == caches[i].batchSize()}
     * @param caches distinct caches, each with {@code remaining() >= 1}
     * @return per cache its logits {@code [B_i, vocab]}, owned by that cache: valid until its next forward
     */
    public INDArray[] forwardTogether(int[][] ids, KvCache[] caches) {
        checkTogether(ids, caches);
        ForwardPass open = acquire();
        try {
            return open.lastLogitsTogether(ids, caches);                 // per cache [B_i, V]
        } finally {
            release();
        }
    }

    /**
     * Logits at every position of {@code ids} from an empty context (no cache kept):
     * what training and scoring need.
     *
     * @param ids {@code [B][T]} token ids with {@code T <= n_positions}
     * @return logits {@code [B*T, vocab]}; row {@code b*T + t} predicts the token after {@code ids[b][t]}
     */
    public INDArray forwardAllPositions(int[][] ids) {
        try (KvCache cache = new KvCache(config, ids.length, Math.max(1, ids[0].length))) {
            checkIds(ids, cache);
            ForwardPass open = acquire();
            try {
                return open.allLogits(ids, cache);                       // [B*T, V]
            } finally {
                release();
            }
        }
    }

    /**
     * nanoGPT's loss: the mean cross-entropy of the logits at every position against
     * {@code targets}, where a target of {@code -1} is ignored.
     *
     * @param tokens  {@code [B][T]} inputs, {@code T <= n_positions}
     * @param targets {@code [B][T]} the token that should follow each input, or {@code -1}
     */
    public LossResult loss(int[][] tokens, int[][] targets) {
        checkTargets(tokens, targets);
        int time = tokens[0].length;
        double[][] tokenLosses = new double[tokens.length][time];
        double sum = 0;
        int count = 0;
        try (INDArray logits = forwardAllPositions(tokens)) {          // [B*T, V]
            Nd4j.exec(new LogSoftMax(logits, logits));               // log-probabilities, in place
            for (int b = 0; b < tokens.length; b++) {
                for (int t = 0; t < time; t++) {
                    int target = targets[b][t];
                    if (target == -1) {
                        tokenLosses[b][t] = Double.NaN;
                        continue;
                    }
                    double nll = -logits.getFloat((long) b * time + t, target);
                    tokenLosses[b][t] = nll;
                    sum += nll;
                    count++;
                }
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("every target is -1 (ignored): there is nothing to score");
        }
        return new LossResult(sum / count, tokenLosses, count);
    }

    private int checkIds(int[][] ids, KvCache cache) {
        Objects.requireNonNull(ids, "ids");
        if (ids.length != cache.batchSize()) {
            throw new IllegalArgumentException(
                    "got " + ids.length + " sequences for a cache of batch size " + cache.batchSize());
        }
        int time = ids[0].length;
        if (time < 1) {
            throw new IllegalArgumentException("each sequence needs at least one token");
        }
        for (int b = 0; b < ids.length; b++) {
            if (ids[b].length != time) {
                throw new IllegalArgumentException("sequence " + b + " has " + ids[b].length
                        + " tokens, sequence 0 has " + time + ": a batch step needs equal lengths");
            }
            for (int id : ids[b]) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, "
                            + config.vocabSize() + ")");
                }
            }
        }
        if (time > cache.remaining()) {
            throw new IllegalArgumentException(time + " new positions do not fit: the cache holds "
                    + cache.length() + " of " + cache.capacity() + " positions");
        }
        return time;
    }

    private void checkTogether(int[][] ids, KvCache[] caches) {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(caches, "caches");
        if (ids.length != caches.length || caches.length == 0) {
            throw new IllegalArgumentException("got token ids for " + ids.length + " caches and " + caches.length
                    + " caches: needs one row of ids per cache, and at least one cache");
        }
        Set<KvCache> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < caches.length; i++) {
            KvCache cache = Objects.requireNonNull(caches[i], "caches[" + i + "]");
            if (!seen.add(cache)) {
                throw new IllegalArgumentException("cache " + i + " appears twice: each cache steps once per pass");
            }
            Objects.requireNonNull(ids[i], "ids[" + i + "]");
            int[][] column = new int[ids[i].length][];                   // [B_i][1], as forward takes it
            for (int b = 0; b < column.length; b++) {
                column[b] = new int[] {ids[i][b]};
            }
            if (column.length == 0) {
                throw new IllegalArgumentException("cache " + i + " got no token ids");
            }
            checkIds(column, cache);
        }
    }

    private void checkTargets(int[][] tokens, int[][] targets) {
        Objects.requireNonNull(targets, "targets");
        if (targets.length != tokens.length) {
            throw new IllegalArgumentException("got " + targets.length + " target rows for "
                    + tokens.length + " token rows");
        }
        for (int b = 0; b < targets.length; b++) {
            if (targets[b].length != tokens[b].length) {
                throw new IllegalArgumentException("targets row " + b + " has " + targets[b].length
                        + " entries, tokens row " + b + " has " + tokens[b].length);
            }
            for (int target : targets[b]) {
                if (target != -1 && (target < 0 || target >= config.vocabSize())) {
                    throw new IllegalArgumentException("target " + target + " is neither -1 nor in the vocabulary [0, "
                            + config.vocabSize() + ")");
                }
            }
        }
    }

    /** Counts a pass as running, so that {@link #close()} waits for it to release the weights. */
    private ForwardPass acquire() {
        synchronized (lifecycle) {
            if (closing) {
                throw new IllegalStateException("this model is closed");
            }
            running++;
            return pass;
        }
    }

    /** Ends a running pass; the last one to end after {@link #close()} releases the weights. */
    private void release() {
        synchronized (lifecycle) {
            running--;
            if (closing && running == 0) {
                releaseWeights();
            }
        }
    }

    /**
     * Closes the model: later calls throw {@link IllegalStateException}; the weights (their memory
     * mapping or copy, and the CPU path's pools) are released now if no forward pass is running,
     * else as soon as the last running one ends. Safe to call twice, from any thread.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closing) {
                return;
            }
            closing = true;
            if (running == 0) {
                releaseWeights();
            }
        }
    }

    /** Called once, holding {@link #lifecycle}, when the model is closed and no pass runs. */
    private void releaseWeights() {
        ForwardPass open = pass;
        pass = null;
        open.close();
        weights.close();
    }
}
