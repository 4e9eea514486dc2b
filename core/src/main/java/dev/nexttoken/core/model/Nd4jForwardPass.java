package dev.nexttoken.core.model;

import org.bytedeco.javacpp.PointerScope;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The forward pass as plain Nd4j operations: readable, and it runs on every backend (CPU and
 * CUDA). Activations are {@code [B*T, C]}: the rows of sequence {@code b} are {@code b*T … b*T+T-1}.
 *
 * <p>Memory: every intermediate array is closed as soon as it is used: Nd4j memory lives off the
 * Java heap, where the garbage collector, run by heap pressure alone, would leave the activations
 * of every step (megabytes per layer in a long prefill) until its next collection. Each step runs
 * in an {@link Nd4jStepScope}, which frees at its end the small native arrays Nd4j makes for
 * every operation and view (shapes, strides, arguments); left to the collector they waited for a
 * full collection. What remains of Nd4j's per-operation bookkeeping (a descriptor per array and
 * view, a context per operation) is freed by Nd4j's deallocator threads after ordinary young
 * collections, so the memory outside the Java heap stays flat without a full collection.
 */
final class Nd4jForwardPass implements ForwardPass {

    private final Gpt2Weights weights;
    private final Gpt2Config config;

    Nd4jForwardPass(Gpt2Weights weights) {
        this.weights = weights;
        this.config = weights.config();
    }

    @Override
    public INDArray lastLogits(int[][] ids, KvCache cache) {
        try (PointerScope step = Nd4jStepScope.open()) {
            INDArray x = hiddenStates(ids, cache);                      // [B*T, C]
            INDArray last = lastPositions(x, ids.length, ids[0].length); // [B, C]
            INDArray logits = lmHead(last);                              // [B, V]
            if (last != x) {
                last.close();
            }
            x.close();
            return cache.keepLogits(logits);
        }
    }

    @Override
    public INDArray allLogits(int[][] ids, KvCache cache) {
        try (PointerScope step = Nd4jStepScope.open()) {
            INDArray x = hiddenStates(ids, cache);                      // [B*T, C]
            INDArray logits = lmHead(x);                                 // [B*T, V]
            x.close();
            return logits;
        }
    }

    /** The final-LayerNorm output of every new position: {@code [B*T, C]}. */
    private INDArray hiddenStates(int[][] ids, KvCache cache) {
        int batch = ids.length;
        int time = ids[0].length;
        int start = cache.length();
        INDArray x = embed(ids, start);                                 // [B*T, C]
        for (int layer = 0; layer < config.nLayer(); layer++) {
            LayerWeights w = weights.layers().get(layer);
            INDArray h = layerNorm(x, w.ln1Gamma(), w.ln1Beta());         // [B*T, C]
            INDArray qkv = linear(h, w.attnW(), w.attnB());              // [B*T, 3C]
            INDArray y = attention(qkv, cache, layer, batch, time, start); // [B*T, C]
            addAndClose(x, linear(y, w.attnProjW(), w.attnProjB()));
            close(h, qkv, y);
            h = layerNorm(x, w.ln2Gamma(), w.ln2Beta());
            INDArray f = linear(h, w.fcW(), w.fcB());                   // [B*T, 4C]
            geluTanh(f);
            addAndClose(x, linear(f, w.fcProjW(), w.fcProjB()));
            close(h, f);
        }
        cache.advance(time);
        INDArray out = layerNorm(x, weights.lnFGamma(), weights.lnFBeta());
        x.close();
        return out;
    }

    /** {@code x += delta}, then frees {@code delta}. */
    private static void addAndClose(INDArray x, INDArray delta) {
        x.addi(delta);
        delta.close();
    }

    /** Frees intermediate arrays (never views, never weights or cache buffers). */
    private static void close(INDArray... arrays) {
        for (INDArray array : arrays) {
            array.close();
        }
    }

    /** Token embedding plus position embedding for positions {@code start … start+T-1}. */
    private INDArray embed(int[][] ids, int start) {
        int batch = ids.length;
        int time = ids[0].length;
        int[] flatIds = new int[batch * time];
        int[] positions = new int[batch * time];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < time; t++) {
                flatIds[b * time + t] = ids[b][t];
                positions[b * time + t] = start + t;
            }
        }
        INDArray x = Nd4j.pullRows(weights.wte(), 1, flatIds);          // [B*T, C]
        addAndClose(x, Nd4j.pullRows(weights.wpe(), 1, positions));
        return x;
    }

    /** Causal multi-head self-attention of the new positions over everything in the cache. */
    private INDArray attention(INDArray qkv, KvCache cache, int layer, int batch, int time, int start) {
        int heads = config.nHead();
        int headSize = config.headSize();
        int end = start + time;
        INDArray split = qkv.reshape('c', batch, time, 3, heads, headSize); // [B, T, 3, nh, hs]
        INDArray q = part(split, 0);                                     // [B, nh, T, hs]
        INDArray k = part(split, 1);
        INDArray v = part(split, 2);

        INDArrayIndex all = NDArrayIndex.all();
        INDArrayIndex fresh = NDArrayIndex.interval(start, end);
        INDArrayIndex seen = NDArrayIndex.interval(0, end);
        cache.keys(layer).get(all, all, fresh, all).assign(k);
        cache.values(layer).get(all, all, fresh, all).assign(v);
        INDArray keys = cache.keys(layer).get(all, all, seen, all);       // [B, nh, L, hs]
        INDArray values = cache.values(layer).get(all, all, seen, all);   // [B, nh, L, hs]

        INDArray scores = Nd4j.matmul(q, keys, false, true, false);      // [B, nh, T, L]
        scores.muli(1.0 / Math.sqrt(headSize));
        if (time > 1) {
            INDArray mask = causalMask(time, start);                     // [T, L]
            Nd4j.exec(new BroadcastAddOp(scores, mask, scores, 2, 3));
            mask.close();
        }
        Nd4j.exec(new SoftMax(scores, scores, 3));
        INDArray y = Nd4j.matmul(scores, values);                        // [B, nh, T, hs]
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, (long) batch * time, config.nEmbd()); // [B*T, C]
        out.reshape('c', batch, time, heads, headSize).assign(y.permute(0, 2, 1, 3));  // [B, T, nh, hs]
        close(scores, y);
        return out;
    }

    /** Query, key or value ({@code which} = 0, 1, 2) of the fused projection: {@code [B, nh, T, hs]}. */
    private static INDArray part(INDArray split, int which) {
        INDArrayIndex all = NDArrayIndex.all();
        return split.get(all, all, NDArrayIndex.point(which), all, all)   // [B, T, nh, hs]
                .permute(0, 2, 1, 3);                                     // [B, nh, T, hs]
    }

    /** Additive mask {@code [T, L]}: 0 where new position {@code t} may see key {@code j}, else -inf. */
    private static INDArray causalMask(int time, int start) {
        int seen = start + time;
        float[] mask = new float[time * seen];
        for (int t = 0; t < time; t++) {
            for (int j = start + t + 1; j < seen; j++) {
                mask[t * seen + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return Nd4j.create(mask, new long[] {time, seen}, DataType.FLOAT);
    }

    /** {@code x · W + b} with GPT-2's Conv1D layout {@code W [in, out]}. */
    private static INDArray linear(INDArray x, INDArray w, INDArray b) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, x.rows(), w.columns());
        Nd4j.gemm(x, w, out, false, false, 1.0, 0.0);
        return out.addiRowVector(b);
    }

    /**
     * GPT-2's GELU, the tanh approximation, in place:
     * {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. Nd4j's own GELU ops use other
     * approximations (off by up to 3e-2), so it is spelled out.
     */
    private static void geluTanh(INDArray x) {
        INDArray inner = Transforms.pow(x, 3, true).muli(0.044715).addi(x).muli(Math.sqrt(2 / Math.PI));
        Transforms.tanh(inner, false).addi(1.0).muli(x).muli(0.5);
        x.assign(inner);
        inner.close();
    }

    /** LayerNorm over the last axis with biased variance: {@code (x - mean) / sqrt(var + eps) * g + b}. */
    private INDArray layerNorm(INDArray x, INDArray gamma, INDArray beta) {
        INDArray mean = x.mean(true, 1);                                 // [N, 1]
        INDArray centered = x.subColumnVector(mean);                     // [N, C]
        INDArray squares = centered.mul(centered);                       // [N, C]
        INDArray variance = squares.mean(true, 1);                       // [N, 1]
        INDArray invStd = Transforms.pow(
                variance.addi(config.layerNormEpsilon()), -0.5, false);   // in place: variance itself
        centered.muliColumnVector(invStd).muliRowVector(gamma).addiRowVector(beta);
        close(mean, squares, variance);
        return centered;
    }

    /** Rows {@code b*T + T-1}: the last new position of every sequence, {@code [B, C]}. */
    private static INDArray lastPositions(INDArray x, int batch, int time) {
        if (time == 1) {
            return x;
        }
        int[] rows = new int[batch];
        for (int b = 0; b < batch; b++) {
            rows[b] = b * time + time - 1;
        }
        return Nd4j.pullRows(x, 1, rows);                                // [B, C]
    }

    /** The tied lm_head: {@code x · wteᵀ}, without copying {@code wte}. */
    private INDArray lmHead(INDArray x) {
        INDArray logits = Nd4j.createUninitialized(DataType.FLOAT, x.rows(), config.vocabSize());
        Nd4j.gemm(x, weights.wte(), logits, false, true, 1.0, 0.0);      // [N, V]
        return logits;
    }

}
