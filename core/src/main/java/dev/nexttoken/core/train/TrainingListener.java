package dev.nexttoken.core.train;

import java.nio.file.Path;

/** Told what {@link Trainer#run} does, for progress display and logs. Every method does nothing by default. */
public interface TrainingListener {

    /**
     * After each optimizer step.
     *
     * @param result the step
     */
    default void onStep(StepResult result) {
    }

    /**
     * Before an evaluation starts (it takes a while).
     *
     * @param step optimizer steps done
     */
    default void onEvaluationStart(long step) {
    }

    /**
     * After each evaluation.
     *
     * @param evaluation the losses
     */
    default void onEvaluation(Evaluation evaluation) {
    }

    /**
     * After a checkpoint is written.
     *
     * @param dir  the checkpoint folder
     * @param step optimizer steps done
     */
    default void onCheckpoint(Path dir, long step) {
    }
}
