package dev.nexttoken.core.train;

import dev.nexttoken.core.model.GeluKernels;
import dev.nexttoken.core.model.Gpt2Config;
import dev.nexttoken.core.model.Gpt2Weights;
import dev.nexttoken.core.model.LayerNormBackward;
import dev.nexttoken.core.model.LayerWeights;
import dev.nexttoken.core.model.RowSoftmax;
import dev.nexttoken.core.model.TrainingAttention;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * GPT-2 with gradients: the forward pass of {@link dev.nexttoken.core.model.Gpt2Model} (same
 * function: tied {@code lm_head}, Conv1D {@code [in, out]} weights, tanh GELU, LayerNorm with
 * biased variance) and its backward pass written out by hand, llm.c style, with Nd4j operations.
 *
 * <p>The model owns its parameters: {@link #of} copies the weights it starts from, so read-only
 * memory-mapped weights are safe to start from. Parameters and gradients are named as in a
 * Hugging Face checkpoint ({@code wte.weight}, {@code h.0.attn.c_attn.weight}, ...). Arrays are
 * float32 for training or float64 for gradient checks.
 *
 * <p>Activations of one batch shape are kept in buffers allocated once and reused every step.
 * The loss holds at most 2²⁷ logits at once (the default shape's {@code [B·T, V]} fits): the
 * {@code lm_head}, the softmax, the cross-entropy and their gradients run over blocks of rows of
 * one reused buffer.
 *
 * <p>Shapes: B batch, T time, C {@code n_embd}, nh heads, hs head size, V vocabulary, N = B·T.
 * Activations are {@code [N, C]}; the rows of sequence {@code b} are {@code b·T … b·T+T−1}.
 * Not thread-safe.
 */
public final class TrainableGpt2 {

    /** Names of a block's twelve tensors after {@code h.N.}, in {@link LayerWeights} order. */
    private static final List<String> LAYER_NAMES = List.of(
            "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
            "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
            "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias");
    /** √(2/π), the GELU's inner scale. */
    private static final double GELU_K = Math.sqrt(2 / Math.PI);
    private static final double GELU_A = 0.044715;
    /**
     * The logits block holds at most this many elements (512 MiB of float32): the default
     * training shape's 2,048 × 50,257 logits in one block. Blocks of 64 MiB (333 rows) made the
     * lm_head's three products re-read {@code wte} and re-write its gradient once per block:
     * ~10 % slower steps (docs/TRAINING.md, "Speed").
     */
    private static final long LOGIT_BLOCK_ELEMENTS = 1L << 27;

    private final Gpt2Config config;
    private final DataType dataType;
    private final Tensors params;
    private final Tensors grads;
    private final Map<String, INDArray> namedParams;
    private final Map<String, INDArray> namedGrads;
    private Activations act;
    /** Rows per lm_head block; 0 picks them from {@link #LOGIT_BLOCK_ELEMENTS}. For tests. */
    int logitBlockRows;

    /** The model's arrays, or the gradients of them (same shapes). */
    private record Tensors(INDArray wte, INDArray wpe, List<LayerWeights> layers, INDArray lnFGamma,
                           INDArray lnFBeta) {

        Map<String, INDArray> named() {
            Map<String, INDArray> map = new LinkedHashMap<>();
            map.put("wte.weight", wte);
            map.put("wpe.weight", wpe);
            for (int i = 0; i < layers.size(); i++) {
                List<INDArray> arrays = arrays(layers.get(i));
                for (int k = 0; k < arrays.size(); k++) {
                    map.put("h." + i + "." + LAYER_NAMES.get(k), arrays.get(k));
                }
            }
            map.put("ln_f.weight", lnFGamma);
            map.put("ln_f.bias", lnFBeta);
            return map;
        }

        static List<INDArray> arrays(LayerWeights w) {
            return List.of(w.ln1Gamma(), w.ln1Beta(), w.attnW(), w.attnB(), w.attnProjW(), w.attnProjB(),
                    w.ln2Gamma(), w.ln2Beta(), w.fcW(), w.fcB(), w.fcProjW(), w.fcProjB());
        }
    }

    private TrainableGpt2(Gpt2Config config, DataType dataType, Tensors params) {
        this.config = config;
        this.dataType = dataType;
        this.params = params;
        this.grads = zerosLike(params);
        this.namedParams = Collections.unmodifiableMap(params.named());
        this.namedGrads = Collections.unmodifiableMap(grads.named());
    }

    /**
     * A float32 trainable copy of weights.
     *
     * @param weights the starting weights (not changed, not kept)
     * @return a model owning copies of them
     */
    public static TrainableGpt2 of(Gpt2Weights weights) {
        return of(weights, DataType.FLOAT);
    }

    /**
     * A trainable copy of weights in the given precision.
     *
     * @param weights  the starting weights (not changed, not kept)
     * @param dataType {@link DataType#FLOAT} to train, {@link DataType#DOUBLE} for gradient checks
     * @return a model owning copies of them
     * @throws IllegalArgumentException for another data type
     */
    public static TrainableGpt2 of(Gpt2Weights weights, DataType dataType) {
        Objects.requireNonNull(weights, "weights");
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("can train in FLOAT or DOUBLE, not " + dataType);
        }
        List<LayerWeights> layers = new ArrayList<>();
        for (LayerWeights w : weights.layers()) {
            List<INDArray> a = Tensors.arrays(w);
            layers.add(new LayerWeights(copy(a.get(0), dataType), copy(a.get(1), dataType), copy(a.get(2), dataType),
                    copy(a.get(3), dataType), copy(a.get(4), dataType), copy(a.get(5), dataType),
                    copy(a.get(6), dataType), copy(a.get(7), dataType), copy(a.get(8), dataType),
                    copy(a.get(9), dataType), copy(a.get(10), dataType), copy(a.get(11), dataType)));
        }
        Tensors tensors = new Tensors(copy(weights.wte(), dataType), copy(weights.wpe(), dataType),
                List.copyOf(layers), copy(weights.lnFGamma(), dataType), copy(weights.lnFBeta(), dataType));
        return new TrainableGpt2(weights.config(), dataType, tensors);
    }

    /** @return the model's shape */
    public Gpt2Config config() {
        return config;
    }

    /** @return FLOAT or DOUBLE */
    public DataType dataType() {
        return dataType;
    }

    /**
     * The parameters, under their Hugging Face names in checkpoint order; the arrays themselves
     * (an optimizer updates them in place).
     *
     * @return an unmodifiable map
     */
    public Map<String, INDArray> parameters() {
        return namedParams;
    }

    /**
     * The gradients of the last {@link #lossAndGradients} call, named as {@link #parameters()}.
     *
     * @return an unmodifiable map of the gradient arrays
     */
    public Map<String, INDArray> gradients() {
        return namedGrads;
    }

    /**
     * A float32 copy of the current parameters as model weights, for {@code Gpt2Model}, for
     * generating, or for saving.
     *
     * @return new weights, independent of further training
     */
    public Gpt2Weights toWeights() {
        List<LayerWeights> layers = new ArrayList<>();
        for (LayerWeights w : params.layers()) {
            List<INDArray> a = Tensors.arrays(w);
            layers.add(new LayerWeights(copy(a.get(0), DataType.FLOAT), copy(a.get(1), DataType.FLOAT),
                    copy(a.get(2), DataType.FLOAT), copy(a.get(3), DataType.FLOAT), copy(a.get(4), DataType.FLOAT),
                    copy(a.get(5), DataType.FLOAT), copy(a.get(6), DataType.FLOAT), copy(a.get(7), DataType.FLOAT),
                    copy(a.get(8), DataType.FLOAT), copy(a.get(9), DataType.FLOAT), copy(a.get(10), DataType.FLOAT),
                    copy(a.get(11), DataType.FLOAT)));
        }
        return Gpt2Weights.of(config, copy(params.wte(), DataType.FLOAT), copy(params.wpe(), DataType.FLOAT),
                layers, copy(params.lnFGamma(), DataType.FLOAT), copy(params.lnFBeta(), DataType.FLOAT));
    }

    // ------------------------------------------------------------------------------------------
    // Loss and gradients

    /**
     * nanoGPT's loss, without gradients: the mean cross-entropy of the next-token predictions at
     * every position, targets of {@code -1} ignored.
     *
     * @param inputs  {@code [B][T]} token ids, {@code T <= n_positions}
     * @param targets {@code [B][T]} the token after each input, or {@code -1}
     * @return the mean loss in nats
     * @throws IllegalArgumentException if shapes or ids are invalid, or every target is -1
     */
    public double loss(int[][] inputs, int[][] targets) {
        int count = check(inputs, targets);
        forward(inputs);
        return crossEntropy(targets, count, false);
    }

    /**
     * The loss of {@link #loss} and, into {@link #gradients()} (overwritten, not accumulated),
     * its gradient with respect to every parameter.
     *
     * @param inputs  {@code [B][T]} token ids
     * @param targets {@code [B][T]} the token after each input, or {@code -1}
     * @return the mean loss in nats
     * @throws IllegalArgumentException if shapes or ids are invalid, or every target is -1
     */
    public double lossAndGradients(int[][] inputs, int[][] targets) {
        int count = check(inputs, targets);
        forward(inputs);
        for (INDArray g : namedGrads.values()) {
            g.assign(0);
        }
        double loss = crossEntropy(targets, count, true);               // fills act.dx with dLoss/d(lnF output)
        backward(inputs);
        return loss;
    }

    /**
     * The global L2 norm of all gradients, as {@code torch.nn.utils.clip_grad_norm_} computes it.
     *
     * @return √(Σ g²) over every gradient element
     */
    public double gradientNorm() {
        double sumOfSquares = 0;
        for (INDArray g : namedGrads.values()) {
            double norm = g.norm2Number().doubleValue();
            sumOfSquares += norm * norm;
        }
        return Math.sqrt(sumOfSquares);
    }

    /**
     * Scales all gradients so that their global norm is at most {@code maxNorm}, as
     * {@code clip_grad_norm_} does (factor {@code maxNorm / (norm + 1e-6)} when below 1).
     *
     * @param maxNorm the largest norm, positive
     * @return the norm before clipping
     */
    public double clipGradients(double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("max gradient norm must be positive, got " + maxNorm);
        }
        double norm = gradientNorm();
        double factor = maxNorm / (norm + 1e-6);
        if (factor < 1) {
            for (INDArray g : namedGrads.values()) {
                g.muli(factor);
            }
        }
        return norm;
    }

    // ------------------------------------------------------------------------------------------
    // Forward

    private void forward(int[][] ids) {
        int batch = ids.length;
        int time = ids[0].length;
        if (act == null || act.batch != batch || act.time != time) {
            act = new Activations(batch, time);
        }
        Activations a = act;
        embed(ids, a);
        for (int l = 0; l < config.nLayer(); l++) {
            LayerWeights w = params.layers().get(l);
            layerNorm(a.x, w.ln1Gamma(), w.ln1Beta(), a.ln1Hat[l], a.ln1Rstd[l], a.ln1Out[l]);
            linear(a.ln1Out[l], w.attnW(), w.attnB(), a.qkv[l]);               // [N, 3C]
            attention(a.qkv[l], a.att[l], a.attY[l], a);                       // [N, C]
            linear(a.attY[l], w.attnProjW(), w.attnProjB(), a.tmpC);
            a.x.addi(a.tmpC);                                                  // residual
            layerNorm(a.x, w.ln2Gamma(), w.ln2Beta(), a.ln2Hat[l], a.ln2Rstd[l], a.ln2Out[l]);
            linear(a.ln2Out[l], w.fcW(), w.fcB(), a.fcPre[l]);                 // [N, 4C]
            gelu(a.fcPre[l], a.fcTanh[l], a.fcAct[l]);
            linear(a.fcAct[l], w.fcProjW(), w.fcProjB(), a.tmpC);
            a.x.addi(a.tmpC);                                                  // residual
        }
        layerNorm(a.x, params.lnFGamma(), params.lnFBeta(), a.lnFHat, a.lnFRstd, a.lnFOut);
    }

    /** {@code x = wte[ids] + wpe[0..T-1]}. */
    private void embed(int[][] ids, Activations a) {
        a.x.assign(Nd4j.pullRows(params.wte(), 1, flatten(ids)));              // [N, C]
        INDArray x3 = a.x.reshape('c', new long[] {a.batch, a.time, config.nEmbd()}); // [B, T, C] view
        INDArray positions = params.wpe().get(NDArrayIndex.interval(0, a.time), NDArrayIndex.all()); // [T, C]
        Nd4j.exec(new BroadcastAddOp(x3, positions, x3, 1, 2));
    }

    /** LayerNorm over the last axis; keeps {@code x̂ = (x − mean)·rstd} and {@code rstd} for the backward pass. */
    private void layerNorm(INDArray x, INDArray gamma, INDArray beta, INDArray hat, INDArray rstd, INDArray out) {
        INDArray mean = x.mean(true, 1);                                       // [N, 1]
        hat.assign(x).subiColumnVector(mean);                                  // x − mean
        INDArray norm = hat.norm2(true, 1);                                    // [N, 1]: √(Σ (x − mean)²)
        rstd.assign(norm.muli(norm).divi(config.nEmbd()).addi(config.layerNormEpsilon()));
        Transforms.pow(rstd, -0.5, false);                                     // 1 / √(var + eps)
        hat.muliColumnVector(rstd);
        out.assign(hat).muliRowVector(gamma).addiRowVector(beta);
    }

    /** {@code out = x · W + b}, GPT-2's Conv1D layout {@code W [in, out]}. */
    private static void linear(INDArray x, INDArray w, INDArray b, INDArray out) {
        Nd4j.gemm(x, w, out, false, false, 1.0, 0.0);
        out.addiRowVector(b);
    }

    /** Causal self-attention of every position; keeps the attention weights {@code att} for the backward pass. */
    private void attention(INDArray qkv, INDArray att, INDArray y, Activations a) {
        if (TrainingAttention.accepts(qkv, att, y)) {
            TrainingAttention.forward(qkv, attentionShape(a), att, y, a.attentionWork); // float32: Java arrays, all cores
            return;
        }
        Nd4jAttention b = a.nd4jAttention();
        splitHeads(qkv, a, b);                                                 // b.q, b.k, b.v: [B, nh, T, hs]
        Nd4j.matmul(b.q, b.k, att, false, true, false);                        // [B, nh, T, T]
        att.muli(1.0 / Math.sqrt(config.headSize()));
        Nd4j.exec(new BroadcastAddOp(att, b.mask, att, 2, 3));                  // −∞ above the diagonal
        Nd4j.exec(new SoftMax(att, att, 3));
        Nd4j.matmul(att, b.v, b.y4, false, false, false);                      // [B, nh, T, hs]
        INDArray y4 = y.reshape('c', new long[] {a.batch, a.time, config.nHead(), config.headSize()}); // [B, T, nh, hs] view
        y4.assign(b.y4.permute(0, 2, 1, 3));                                   // merge heads: [N, C]
    }

    private TrainingAttention.Shape attentionShape(Activations a) {
        return new TrainingAttention.Shape(a.batch, a.time, config.nHead(), config.headSize());
    }

    /** Copies q, k and v of the fused projection {@code [N, 3C]} into {@code b.q, b.k, b.v} {@code [B, nh, T, hs]}. */
    private void splitHeads(INDArray qkv, Activations a, Nd4jAttention b) {
        INDArray split = qkv.reshape('c', new long[] {a.batch, a.time, 3, config.nHead(), config.headSize()}); // [B, T, 3, nh, hs]
        b.q.assign(part(split, 0));
        b.k.assign(part(split, 1));
        b.v.assign(part(split, 2));
    }

    /** Query, key or value ({@code which} = 0, 1, 2) of {@code [B, T, 3, nh, hs]} as a view {@code [B, nh, T, hs]}. */
    private static INDArray part(INDArray split, int which) {
        INDArrayIndex all = NDArrayIndex.all();
        return split.get(all, all, NDArrayIndex.point(which), all, all)       // [B, T, nh, hs]
                .permute(0, 2, 1, 3);                                          // [B, nh, T, hs]
    }

    /** GPT-2's tanh GELU, {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}; keeps the tanh for the backward pass. */
    private static void gelu(INDArray x, INDArray tanh, INDArray out) {
        if (GeluKernels.accepts(x, tanh, out)) {
            GeluKernels.forward(x, tanh, out);                                 // float32: one pass, all cores
            return;
        }
        tanh.assign(x).muli(x).muli(x).muli(GELU_A).addi(x).muli(GELU_K);      // √(2/π)·(x + a·x³)
        Transforms.tanh(tanh, false);
        out.assign(tanh).addi(1.0).muli(x).muli(0.5);
    }

    // ------------------------------------------------------------------------------------------
    // Loss head: lm_head, softmax and cross-entropy in blocks of rows

    /**
     * The mean cross-entropy of the final hidden states {@code act.lnFOut} against the targets.
     * With {@code backward}, also writes {@code dLoss/d(lnFOut)} into {@code act.dx} and adds the
     * lm_head's share of the gradient to {@code wte}'s.
     */
    private double crossEntropy(int[][] targets, int count, boolean backward) {
        Activations a = act;
        int rows = a.rows;
        int time = a.time;
        int blockRows = logitBlockRows > 0 ? Math.min(logitBlockRows, rows)
                : (int) Math.max(1, Math.min(rows, LOGIT_BLOCK_ELEMENTS / config.vocabSize()));
        if (a.logits == null || a.logits.rows() != blockRows) {
            a.logits = Nd4j.createUninitialized(dataType, blockRows, config.vocabSize());
        }
        double sum = 0;
        for (int from = 0; from < rows; from += blockRows) {
            int to = Math.min(rows, from + blockRows);
            INDArray h = a.lnFOut.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());        // [n, C]
            INDArray logits = to - from == blockRows ? a.logits
                    : a.logits.get(NDArrayIndex.interval(0, to - from), NDArrayIndex.all());      // [n, V]
            Nd4j.gemm(h, params.wte(), logits, false, true, 1.0, 0.0);          // h · wteᵀ
            softmaxRows(logits);                                                // p, in place
            for (int r = from; r < to; r++) {
                int target = targets[r / time][r % time];
                if (target != -1) {
                    sum += negativeLogProbability(logits.getDouble(r - from, target), h, r - from, target);
                }
            }
            if (backward) {
                for (int r = from; r < to; r++) {
                    int target = targets[r / time][r % time];
                    if (target == -1) {
                        logits.getRow(r - from).assign(0);
                    } else {
                        logits.putScalar(r - from, target, logits.getDouble(r - from, target) - 1.0);
                    }
                }
                // dLoss/dlogits = (p − onehot) / count: the 1/count goes in as the GEMMs' alpha
                INDArray dh = a.dx.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()); // [n, C]
                Nd4j.gemm(logits, params.wte(), dh, false, false, 1.0 / count, 0.0);  // dlogits · wte
                Nd4j.gemm(logits, h, grads.wte(), true, false, 1.0 / count, 1.0);     // dwte += dlogitsᵀ · h
            }
        }
        return sum / count;
    }

    /**
     * The softmax of every row in place: {@link RowSoftmax} (Vector API, all cores) for float32
     * (~4× faster than Nd4j's op here), Nd4j's {@code SoftMax} for float64 (gradient checks).
     */
    private static void softmaxRows(INDArray logits) {
        if (RowSoftmax.accepts(logits)) {
            RowSoftmax.softmaxRows(logits);
        } else {
            Nd4j.exec(new SoftMax(logits, logits, 1));
        }
    }

    /**
     * {@code −log p(target)} from the softmax output {@code p}. Nd4j's softmax is much faster
     * than its log-softmax (docs/PERFORMANCE.md), and {@code −log p} is exact to float precision while
     * {@code p} is a normal number; for the rare {@code p} below 1e-30 the row's log-softmax
     * is recomputed from its hidden state, row {@code index} of {@code h [n, C]}.
     */
    private double negativeLogProbability(double p, INDArray h, int index, int target) {
        if (p >= 1e-30) {
            return -Math.log(p);
        }
        INDArray hidden = h.get(NDArrayIndex.interval(index, index + 1), NDArrayIndex.all()); // [1, C]
        INDArray row = Nd4j.createUninitialized(dataType, 1, config.vocabSize());
        Nd4j.gemm(hidden, params.wte(), row, false, true, 1.0, 0.0);            // [1, V]
        double targetLogit = row.getDouble(0, target);
        double max = row.maxNumber().doubleValue();
        double sumExp = Transforms.exp(row.subi(max), false).sumNumber().doubleValue();
        return max + Math.log(sumExp) - targetLogit;                        // logsumexp − z_target
    }

    // ------------------------------------------------------------------------------------------
    // Backward

    /** From {@code act.dx = dLoss/d(lnFOut)} back to every parameter. */
    private void backward(int[][] ids) {
        Activations a = act;
        // final LayerNorm: dx becomes the gradient of the residual stream
        a.dh.assign(a.dx);
        a.dx.assign(0);
        layerNormBackward(a.dh, a.lnFHat, a.lnFRstd, params.lnFGamma(), grads.lnFGamma(), grads.lnFBeta(), a.dx);
        for (int l = config.nLayer() - 1; l >= 0; l--) {
            LayerWeights w = params.layers().get(l);
            LayerWeights g = grads.layers().get(l);
            // MLP: x += gelu(ln2(x) · Wfc + bfc) · Wproj + bproj
            linearBackward(a.fcAct[l], a.dx, w.fcProjW(), g.fcProjW(), g.fcProjB(), a.dFc);   // dFc: [N, 4C]
            geluBackward(a.fcPre[l], a.fcTanh[l], a.dFc, a.tmp4C, a.tmp4C2);
            linearBackward(a.ln2Out[l], a.dFc, w.fcW(), g.fcW(), g.fcB(), a.dh);              // dh: [N, C]
            layerNormBackward(a.dh, a.ln2Hat[l], a.ln2Rstd[l], w.ln2Gamma(), g.ln2Gamma(), g.ln2Beta(), a.dx);
            // attention: x += attn(ln1(x) · Wattn + battn) · Wproj + bproj
            linearBackward(a.attY[l], a.dx, w.attnProjW(), g.attnProjW(), g.attnProjB(), a.dy); // dy: [N, C]
            attentionBackward(a.qkv[l], a.att[l], a.dy, a.dQkv, a);                             // dQkv: [N, 3C]
            linearBackward(a.ln1Out[l], a.dQkv, w.attnW(), g.attnW(), g.attnB(), a.dh);
            layerNormBackward(a.dh, a.ln1Hat[l], a.ln1Rstd[l], w.ln1Gamma(), g.ln1Gamma(), g.ln1Beta(), a.dx);
        }
        embedBackward(ids, a);
    }

    /**
     * Backward of {@code out = x · W + b} given {@code dOut}: {@code dW += xᵀ·dOut},
     * {@code db += Σ_rows dOut}, {@code dx = dOut · Wᵀ} (overwritten).
     */
    private static void linearBackward(INDArray x, INDArray dOut, INDArray w, INDArray dW, INDArray db, INDArray dx) {
        Nd4j.gemm(x, dOut, dW, true, false, 1.0, 1.0);
        db.addi(dOut.sum(0));
        Nd4j.gemm(dOut, w, dx, false, true, 1.0, 0.0);
    }

    /**
     * Backward of LayerNorm given {@code dOut}: adds to {@code dGamma}, {@code dBeta} and to
     * {@code dx} the input's gradient
     * {@code rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂))} with {@code dx̂ = dOut ⊙ γ}.
     * Uses {@code act.tmpC} and {@code act.tmpC2}.
     */
    private void layerNormBackward(INDArray dOut, INDArray hat, INDArray rstd, INDArray gamma,
                                   INDArray dGamma, INDArray dBeta, INDArray dx) {
        INDArray dHat = act.tmpC;
        INDArray scratch = act.tmpC2;
        dBeta.addi(dOut.sum(0));
        dGamma.addi(scratch.assign(dOut).muli(hat).sum(0));
        if (LayerNormBackward.accepts(dOut, hat, rstd, gamma, dx)) {
            LayerNormBackward.addInputGradient(dOut, hat, rstd, gamma, dx);   // float32: one pass per row, all cores
            return;
        }
        dHat.assign(dOut).muliRowVector(gamma);                                // dx̂ [N, C]
        INDArray meanDHat = dHat.mean(true, 1);                                // [N, 1]
        INDArray meanDHatHat = scratch.assign(dHat).muli(hat).mean(true, 1);   // [N, 1]
        dHat.subiColumnVector(meanDHat);
        dHat.subi(scratch.assign(hat).muliColumnVector(meanDHatHat));
        dHat.muliColumnVector(rstd);
        dx.addi(dHat);
    }

    /**
     * Backward of the tanh GELU, in place: {@code d *= gelu'(x)} with
     * {@code gelu'(x) = ½(1 + th) + ½·x·(1 − th²)·√(2/π)·(1 + 3a·x²)}, {@code th} the kept tanh.
     */
    private static void geluBackward(INDArray x, INDArray tanh, INDArray d, INDArray scratch, INDArray scratch2) {
        if (GeluKernels.accepts(x, tanh, d)) {
            GeluKernels.backward(x, tanh, d);                                  // float32: one pass, all cores
            return;
        }
        INDArray slope = scratch.assign(x).muli(x).muli(3 * GELU_A).addi(1.0).muli(GELU_K).muli(x).muli(0.5);
        slope.muli(scratch2.assign(tanh).muli(tanh).rsubi(1.0));               // ½·x·√(2/π)(1 + 3a·x²)·(1 − th²)
        slope.addi(scratch2.assign(tanh).addi(1.0).muli(0.5));                 // + ½(1 + th)
        d.muli(slope);
    }

    /** Backward of {@link #attention}: from {@code dy [N, C]} to {@code dQkv [N, 3C]} (overwritten). */
    private void attentionBackward(INDArray qkv, INDArray att, INDArray dy, INDArray dQkv, Activations a) {
        if (TrainingAttention.accepts(qkv, att, dy, dQkv)) {
            TrainingAttention.backward(qkv, attentionShape(a), att, dy, dQkv, a.attentionWork);
            return;
        }
        Nd4jAttention b = a.nd4jAttention();
        splitHeads(qkv, a, b);                                                 // q, k, v again
        INDArray dy4 = dy.reshape('c', new long[] {a.batch, a.time, config.nHead(), config.headSize()}); // [B, T, nh, hs]
        b.dy4.assign(dy4.permute(0, 2, 1, 3));                                 // [B, nh, T, hs]
        Nd4j.matmul(b.dy4, b.v, b.dAtt, false, true, false);                   // dAtt = dy · vᵀ   [B, nh, T, T]
        Nd4j.matmul(att, b.dy4, b.dv, true, false, false);                     // dv = attᵀ · dy   [B, nh, T, hs]
        // softmax: dS = att ⊙ (dAtt − Σ_j dAtt ⊙ att)
        INDArray rowSums = b.tmpAtt.assign(b.dAtt).muli(att).sum(3);           // [B, nh, T]
        Nd4j.exec(new BroadcastSubOp(b.dAtt, rowSums, b.dAtt, 0, 1, 2));
        b.dAtt.muli(att).muli(1.0 / Math.sqrt(config.headSize()));             // through the 1/√hs scale
        Nd4j.matmul(b.dAtt, b.k, b.dq, false, false, false);                   // dq = dS · k      [B, nh, T, hs]
        Nd4j.matmul(b.dAtt, b.q, b.dk, true, false, false);                    // dk = dSᵀ · q     [B, nh, T, hs]
        INDArray split = dQkv.reshape('c', new long[] {a.batch, a.time, 3, config.nHead(), config.headSize()}); // [B, T, 3, nh, hs]
        part(split, 0).assign(b.dq);
        part(split, 1).assign(b.dk);
        part(split, 2).assign(b.dv);
    }

    /** {@code dwte[ids[n]] += dx[n]} and {@code dwpe[t] += Σ_b dx[b·T + t]}. */
    private void embedBackward(int[][] ids, Activations a) {
        int c = config.nEmbd();
        INDArray dx3 = a.dx.reshape('c', new long[] {a.batch, a.time, c});   // [B, T, C]
        grads.wpe().get(NDArrayIndex.interval(0, a.time), NDArrayIndex.all()).addi(dx3.sum(0)); // [T, C]
        // Scatter-add of rows, duplicates included: a plain loop over the gradient buffer.
        double[] dx = a.dx.reshape('c', new long[] {(long) a.rows * c}).toDoubleVector(); // [N·C]
        DataBuffer dwte = grads.wte().data();
        int[] flat = flatten(ids);
        for (int n = 0; n < flat.length; n++) {
            long base = (long) flat[n] * c;
            int row = n * c;
            for (int j = 0; j < c; j++) {
                dwte.put(base + j, dwte.getDouble(base + j) + dx[row + j]);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /** Checks the batch; returns the number of targets that count. */
    private int check(int[][] inputs, int[][] targets) {
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(targets, "targets");
        if (inputs.length == 0 || inputs[0].length == 0) {
            throw new IllegalArgumentException("a batch needs at least one sequence of at least one token");
        }
        if (targets.length != inputs.length) {
            throw new IllegalArgumentException("got " + targets.length + " target rows for " + inputs.length + " input rows");
        }
        int time = inputs[0].length;
        if (time > config.nPositions()) {
            throw new IllegalArgumentException(time + " tokens per sequence; the model holds at most n_positions="
                    + config.nPositions());
        }
        int count = 0;
        for (int b = 0; b < inputs.length; b++) {
            if (inputs[b].length != time || targets[b].length != time) {
                throw new IllegalArgumentException("row " + b + " has " + inputs[b].length + " inputs and "
                        + targets[b].length + " targets; every row needs " + time);
            }
            for (int t = 0; t < time; t++) {
                int id = inputs[b][t];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, "
                            + config.vocabSize() + ")");
                }
                int target = targets[b][t];
                if (target != -1 && (target < 0 || target >= config.vocabSize())) {
                    throw new IllegalArgumentException("target " + target + " is neither -1 nor in the vocabulary [0, "
                            + config.vocabSize() + ")");
                }
                if (target != -1) {
                    count++;
                }
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("every target is -1 (ignored): there is nothing to learn from");
        }
        return count;
    }

    private static int[] flatten(int[][] ids) {
        int time = ids[0].length;
        int[] flat = new int[ids.length * time];
        for (int b = 0; b < ids.length; b++) {
            System.arraycopy(ids[b], 0, flat, b * time, time);
        }
        return flat;
    }

    private static INDArray copy(INDArray source, DataType dataType) {
        INDArray out = Nd4j.createUninitialized(dataType, source.shape(), 'c');
        return out.assign(source.dataType() == dataType ? source : source.castTo(dataType));
    }

    private Tensors zerosLike(Tensors t) {
        List<LayerWeights> layers = new ArrayList<>();
        for (LayerWeights w : t.layers()) {
            List<INDArray> a = Tensors.arrays(w);
            layers.add(new LayerWeights(zeros(a.get(0)), zeros(a.get(1)), zeros(a.get(2)), zeros(a.get(3)),
                    zeros(a.get(4)), zeros(a.get(5)), zeros(a.get(6)), zeros(a.get(7)), zeros(a.get(8)),
                    zeros(a.get(9)), zeros(a.get(10)), zeros(a.get(11))));
        }
        return new Tensors(zeros(t.wte()), zeros(t.wpe()), List.copyOf(layers), zeros(t.lnFGamma()), zeros(t.lnFBeta()));
    }

    private INDArray zeros(INDArray like) {
        return Nd4j.zeros(dataType, like.shape());
    }

    /** The buffers of one batch shape: activations kept for the backward pass, and scratch. */
    private final class Activations {
        final int batch;
        final int time;
        final int rows;
        final INDArray x;                                   // residual stream [N, C]
        final INDArray[] ln1Hat, ln1Rstd, ln1Out, qkv, att, attY, ln2Hat, ln2Rstd, ln2Out, fcPre, fcTanh, fcAct;
        final INDArray lnFHat, lnFRstd, lnFOut;
        /** The Nd4j attention's working arrays, made on its first use: {@link TrainingAttention} needs none. */
        private Nd4jAttention nd4jAttention;
        final TrainingAttention.Workspace attentionWork = new TrainingAttention.Workspace();
        final INDArray tmpC, tmpC2, dx, dh, dy;             // [N, C]
        final INDArray dQkv;                                // [N, 3C]
        final INDArray dFc, tmp4C, tmp4C2;                  // [N, 4C]
        INDArray logits;                                    // [block rows, V], made by crossEntropy

        Activations(int batch, int time) {
            this.batch = batch;
            this.time = time;
            this.rows = batch * time;
            int layers = config.nLayer();
            long c = config.nEmbd();
            long[] rowsC = {rows, c};
            x = buffer(rowsC);
            ln1Hat = new INDArray[layers];
            ln1Rstd = new INDArray[layers];
            ln1Out = new INDArray[layers];
            qkv = new INDArray[layers];
            att = new INDArray[layers];
            attY = new INDArray[layers];
            ln2Hat = new INDArray[layers];
            ln2Rstd = new INDArray[layers];
            ln2Out = new INDArray[layers];
            fcPre = new INDArray[layers];
            fcTanh = new INDArray[layers];
            fcAct = new INDArray[layers];
            long[] scores = {batch, config.nHead(), time, time};
            for (int l = 0; l < layers; l++) {
                ln1Hat[l] = buffer(rowsC);
                ln1Rstd[l] = buffer(new long[] {rows, 1});
                ln1Out[l] = buffer(rowsC);
                qkv[l] = buffer(new long[] {rows, 3 * c});
                att[l] = buffer(scores);
                attY[l] = buffer(rowsC);
                ln2Hat[l] = buffer(rowsC);
                ln2Rstd[l] = buffer(new long[] {rows, 1});
                ln2Out[l] = buffer(rowsC);
                fcPre[l] = buffer(new long[] {rows, 4 * c});
                fcTanh[l] = buffer(new long[] {rows, 4 * c});
                fcAct[l] = buffer(new long[] {rows, 4 * c});
            }
            lnFHat = buffer(rowsC);
            lnFRstd = buffer(new long[] {rows, 1});
            lnFOut = buffer(rowsC);
            tmpC = buffer(rowsC);
            tmpC2 = buffer(rowsC);
            dx = buffer(rowsC);
            dh = buffer(rowsC);
            dy = buffer(rowsC);
            dQkv = buffer(new long[] {rows, 3 * c});
            dFc = buffer(new long[] {rows, 4 * c});
            tmp4C = buffer(new long[] {rows, 4 * c});
            tmp4C2 = buffer(new long[] {rows, 4 * c});
        }

        /** The Nd4j attention's arrays, made on the first call. */
        Nd4jAttention nd4jAttention() {
            if (nd4jAttention == null) {
                nd4jAttention = new Nd4jAttention(this);
            }
            return nd4jAttention;
        }

        private INDArray buffer(long[] shape) {
            return Nd4j.createUninitialized(dataType, shape, 'c');
        }
    }

    /** The working arrays of the Nd4j attention ({@link #attention} where {@link TrainingAttention} does not run). */
    private final class Nd4jAttention {
        final INDArray mask;                                // [T, T]: 0 on and below the diagonal, −∞ above
        final INDArray q, k, v, y4, dy4, dq, dk, dv;        // [B, nh, T, hs]
        final INDArray dAtt, tmpAtt;                        // [B, nh, T, T]

        Nd4jAttention(Activations a) {
            int time = a.time;
            long[] heads = {a.batch, config.nHead(), time, config.headSize()};
            long[] scores = {a.batch, config.nHead(), time, time};
            double[] maskValues = new double[time * time];
            for (int i = 0; i < time; i++) {
                for (int j = i + 1; j < time; j++) {
                    maskValues[i * time + j] = Double.NEGATIVE_INFINITY;
                }
            }
            mask = Nd4j.create(maskValues, new long[] {time, time}, 'c').castTo(dataType);
            q = a.buffer(heads);
            k = a.buffer(heads);
            v = a.buffer(heads);
            y4 = a.buffer(heads);
            dy4 = a.buffer(heads);
            dq = a.buffer(heads);
            dk = a.buffer(heads);
            dv = a.buffer(heads);
            dAtt = a.buffer(scores);
            tmpAtt = a.buffer(scores);
        }
    }
}
