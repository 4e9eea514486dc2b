package dev.nexttoken.core.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/** One way of computing GPT-2's forward pass over a {@link KvCache}; arguments are already checked. */
interface ForwardPass {

    /**
     * Runs {@code ids [B][T]} after the cached positions, stores their keys and values, advances
     * the cache, and returns the logits {@code [B, V]} of each sequence's last new position. The
     * logits belong to the cache and stay valid until its next forward.
     */
    INDArray lastLogits(int[][] ids, KvCache cache);

    /**
     * One decode step of several caches: {@code ids[i]} holds one new token per sequence of
     * {@code caches[i]}, run after that cache's own positions; returns each cache's logits
     * {@code [B_i, V]}, owned by that cache, exactly (bit for bit) what {@link #lastLogits} gives
     * the cache alone. This default runs the caches one after the other; a pass that can share the
     * weight reads between them overrides it.
     */
    default INDArray[] lastLogitsTogether(int[][] ids, KvCache[] caches) {
        INDArray[] logits = new INDArray[caches.length];
        for (int i = 0; i < caches.length; i++) {
            int[][] step = new int[ids[i].length][];                     // [B_i][1]
            for (int b = 0; b < step.length; b++) {
                step[b] = new int[] {ids[i][b]};
            }
            logits[i] = lastLogits(step, caches[i]);                     // [B_i, V]
        }
        return logits;
    }

    /** Runs {@code ids} from an empty cache and returns the logits of every position {@code [B*T, V]} (caller owns them). */
    INDArray allLogits(int[][] ids, KvCache cache);

    /**
     * @return what computes this pass's weight products: {@code "nd4j"} here (Nd4j operations on
     * float32 arrays); the CPU fast path names its {@link MatrixKernels}
     */
    default String kernel() {
        return "nd4j";
    }

    /** Releases what this pass holds beyond the weights (called once, when its model closes). */
    default void close() {
    }
}
