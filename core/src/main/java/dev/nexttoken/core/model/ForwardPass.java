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

    /** Runs {@code ids} from an empty cache and returns the logits of every position {@code [B*T, V]} (caller owns them). */
    INDArray allLogits(int[][] ids, KvCache cache);

    /** Releases what this pass holds beyond the weights (called once, when its model closes). */
    default void close() {
    }
}
