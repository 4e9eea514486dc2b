package dev.nexttoken.core.train;

/**
 * One optimizer step.
 *
 * @param step         the number of steps done, this one included (1 after the first)
 * @param loss         the training loss of this step's batch, before the update
 * @param learningRate the learning rate this step used
 * @param gradNorm     the global gradient norm before clipping
 * @param tokens       tokens in the batch (batch size × block size)
 * @param seconds      wall time of the step
 */
public record StepResult(long step, double loss, double learningRate, double gradNorm, int tokens, double seconds) {
}
