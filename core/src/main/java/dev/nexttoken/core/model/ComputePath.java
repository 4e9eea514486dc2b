package dev.nexttoken.core.model;

/**
 * How the forward pass is computed. Both paths give the same logits (within float rounding);
 * they differ in speed and in which backends they run on.
 */
public enum ComputePath {
    /** {@link #CPU_BLAS} when the CPU backend and OpenBLAS are present, else {@link #ND4J_OPS}. */
    AUTO,
    /** Plain Nd4j operations: runs on every backend (CPU and CUDA). */
    ND4J_OPS,
    /**
     * The CPU fast path: the weight products through the kernels of {@link Gpt2Model#kernel()}
     * (native code, or OpenBLAS and the Vector API), reading the weight matrices in place in their
     * {@link WeightFormat}; the small per-token steps as Java loops. CPU backend only.
     */
    CPU_BLAS
}
