package dev.nexttoken.core.train;

/**
 * What {@link Trainer#run} did.
 *
 * @param steps      optimizer steps done in all (those of a resumed run's earlier part included)
 * @param evaluation the final evaluation
 * @param tokens     tokens trained on in this run
 * @param seconds    wall time of this run, evaluations and checkpoints included
 */
public record TrainingResult(long steps, Evaluation evaluation, long tokens, double seconds) {
}
