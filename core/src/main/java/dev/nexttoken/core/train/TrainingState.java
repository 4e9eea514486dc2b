package dev.nexttoken.core.train;

/**
 * Where a training run stands, saved beside a checkpoint so that a resumed run continues
 * exactly: the same learning rate, the same next windows.
 *
 * @param step           optimizer steps done
 * @param samplerState   the training-window generator's state ({@link WindowSampler#state()})
 * @param seed           the run's seed (the evaluation windows derive from it)
 * @param trainLoss      the last evaluation's training loss, or NaN if none yet
 * @param validationLoss the last evaluation's validation loss, or NaN if none yet
 */
public record TrainingState(long step, long samplerState, long seed, double trainLoss, double validationLoss) {
}
