package dev.nexttoken.core.train;

import dev.nexttoken.core.NextTokenException;
import dev.nexttoken.core.io.Dtype;
import dev.nexttoken.core.model.Gpt2Weights;

import java.nio.file.Path;
import java.util.Objects;

/**
 * nanoGPT's training loop: each step draws a batch of random windows from the training split,
 * computes the loss and its gradients, clips the global gradient norm, and takes an
 * {@link AdamW} step at the {@link LearningRateSchedule}'s rate. Every {@code evalInterval}
 * steps (and after the last) it evaluates both splits and writes a {@link Checkpoint}.
 *
 * <p>Start with {@link #start} from weights (random or pretrained) or {@link #resume} from a
 * checkpoint; then {@link #run} to {@code maxSteps}, or drive {@link #step()} and
 * {@link #evaluate()} yourself. Not thread-safe.
 */
public final class Trainer {

    /** Mixed into the seed for the evaluation windows, so they differ from the training windows. */
    private static final long EVAL_SALT = 0x5EED_E7A1L;

    private final TrainableGpt2 model;
    private final TrainOptions options;
    private final DataSplit data;
    private final AdamW optimizer;
    private final WindowSampler sampler;
    private final LearningRateSchedule schedule;
    private long step;
    private Evaluation lastEvaluation;

    private Trainer(TrainableGpt2 model, TrainOptions options, DataSplit data) {
        this.model = model;
        this.options = options;
        this.data = data;
        if (options.blockSize() > model.config().nPositions()) {
            throw new IllegalArgumentException("block size " + options.blockSize() + " is larger than the model's n_positions="
                    + model.config().nPositions());
        }
        if (data.validation().size() < options.blockSize() + 1L) {
            throw new IllegalArgumentException("the validation split has " + data.validation().size()
                    + " tokens; a window of block size " + options.blockSize() + " needs " + (options.blockSize() + 1)
                    + ": give more data or a smaller block size");
        }
        this.optimizer = new AdamW(options.beta1(), options.beta2(), options.epsilon(), options.weightDecay());
        this.sampler = new WindowSampler(data.train(), options.batchSize(), options.blockSize(), options.seed());
        this.schedule = options.schedule();
    }

    /**
     * A new run from the given weights (copied: they are not changed).
     *
     * @param initial the starting weights, for example {@code Gpt2Weights.random(config, seed)}
     * @param options the hyper-parameters
     * @param data    the training and validation tokens
     * @return a trainer at step 0
     * @throws IllegalArgumentException if the block size exceeds the model's context or the
     *                                  data is too short for one window
     */
    public static Trainer start(Gpt2Weights initial, TrainOptions options, DataSplit data) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(data, "data");
        return new Trainer(TrainableGpt2.of(initial), options, data);
    }

    /**
     * Continues a run from a checkpoint written by {@link #save} or {@link #run}: the weights,
     * AdamW's moments, the step count and the window generator come back as they were, so
     * with the same options and data the run goes on as if never stopped.
     *
     * @param checkpointDir the model folder the checkpoint was written to (its current one is read)
     * @param options       the hyper-parameters (normally the interrupted run's); the seed is
     *                      the checkpoint's, whatever {@code options} says
     * @param data          the training and validation tokens
     * @return a trainer at the checkpoint's step
     * @throws dev.nexttoken.core.ModelLoadException if the checkpoint is missing, incomplete,
     *                                              inconsistent or cannot be read
     */
    public static Trainer resume(Path checkpointDir, TrainOptions options, DataSplit data) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(data, "data");
        Checkpoint checkpoint = Checkpoint.load(checkpointDir);
        TrainingState state = checkpoint.state();
        // the run's own seed: the evaluation windows stay those of the interrupted run
        Trainer trainer = new Trainer(checkpoint.model(), options.toBuilder().seed(state.seed()).build(), data);
        trainer.optimizer.restore(trainer.model.parameters(), checkpoint.optimizerState(), state.step());
        trainer.sampler.restore(state.samplerState());
        trainer.step = state.step();
        if (!Double.isNaN(state.validationLoss())) {
            trainer.lastEvaluation = new Evaluation(state.step(), state.trainLoss(), state.validationLoss());
        }
        return trainer;
    }

    /** @return the model being trained (its parameters change with every step) */
    public TrainableGpt2 model() {
        return model;
    }

    /** @return the hyper-parameters */
    public TrainOptions options() {
        return options;
    }

    /** @return optimizer steps done */
    public long stepsDone() {
        return step;
    }

    /** @return the latest evaluation, or null if none yet */
    public Evaluation lastEvaluation() {
        return lastEvaluation;
    }

    /**
     * One optimizer step on the next batch of training windows.
     *
     * @return the step's loss, learning rate and gradient norm
     * @throws NextTokenException if the loss is not finite (training diverged)
     */
    public StepResult step() {
        long start = System.nanoTime();
        WindowSampler.Batch batch = sampler.next();
        double loss = model.lossAndGradients(batch.inputs(), batch.targets());
        if (!Double.isFinite(loss)) {
            throw new NextTokenException("the training loss is " + loss + " at step " + (step + 1)
                    + ": training diverged; lower the learning rate");
        }
        double norm = options.gradClip() > 0 ? model.clipGradients(options.gradClip()) : model.gradientNorm();
        double rate = schedule.rate(step);
        optimizer.step(model.parameters(), model.gradients(), rate);
        step++;
        return new StepResult(step, loss, rate, norm, batch.tokenCount(), (System.nanoTime() - start) / 1e9);
    }

    /**
     * The mean loss over {@code evalBatches} batches of each split. The windows are drawn from
     * a generator seeded afresh each time, so every evaluation of a run sees the same windows.
     *
     * @return both losses
     */
    public Evaluation evaluate() {
        double train = meanLoss(data.train());
        double validation = meanLoss(data.validation());
        lastEvaluation = new Evaluation(step, train, validation);
        return lastEvaluation;
    }

    private double meanLoss(TokenData tokens) {
        WindowSampler windows = new WindowSampler(tokens, options.batchSize(), options.blockSize(),
                options.seed() ^ EVAL_SALT);
        double sum = 0;
        for (int i = 0; i < options.evalBatches(); i++) {
            WindowSampler.Batch batch = windows.next();
            sum += model.loss(batch.inputs(), batch.targets());
        }
        return sum / options.evalBatches();
    }

    /**
     * Writes a checkpoint of the current state, all or nothing (see {@link Checkpoint} for the files).
     *
     * @param dir   the model folder, created if needed
     * @param dtype {@link Dtype#F32} or {@link Dtype#F16} for {@code model.safetensors}
     */
    public void save(Path dir, Dtype dtype) {
        Evaluation e = lastEvaluation;
        TrainingState state = new TrainingState(step, sampler.state(), options.seed(),
                e != null ? e.trainLoss() : Double.NaN, e != null ? e.validationLoss() : Double.NaN);
        Checkpoint.save(dir, model, optimizer, state, options, dtype);
    }

    /**
     * Trains to {@code maxSteps}: evaluates and writes a checkpoint to {@code outDir} every
     * {@code evalInterval} steps and after the last step.
     *
     * @param outDir   the model folder to write checkpoints to, or null to write none
     * @param dtype    the checkpoints' weight type, F32 or F16
     * @param listener told of every step, evaluation and checkpoint
     * @return the steps, the final evaluation, the tokens and the time of this run
     */
    public TrainingResult run(Path outDir, Dtype dtype, TrainingListener listener) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(listener, "listener");
        long start = System.nanoTime();
        long tokens = 0;
        boolean evaluatedLast = false;
        while (step < options.maxSteps()) {
            StepResult result = step();
            tokens += result.tokens();
            listener.onStep(result);
            evaluatedLast = step % options.evalInterval() == 0 || step == options.maxSteps();
            if (evaluatedLast) {
                evaluateAndSave(outDir, dtype, listener);
            }
        }
        if (!evaluatedLast) {                        // nothing left to train (a finished run resumed)
            evaluateAndSave(outDir, dtype, listener);
        }
        return new TrainingResult(step, lastEvaluation, tokens, (System.nanoTime() - start) / 1e9);
    }

    private void evaluateAndSave(Path outDir, Dtype dtype, TrainingListener listener) {
        listener.onEvaluationStart(step);
        listener.onEvaluation(evaluate());
        if (outDir != null) {
            save(outDir, dtype);
            listener.onCheckpoint(outDir, step);
        }
    }
}
