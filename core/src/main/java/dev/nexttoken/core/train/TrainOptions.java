package dev.nexttoken.core.train;

/**
 * The hyper-parameters of a training run, nanoGPT's names in brackets. Immutable and checked on
 * construction; start from {@link #builder()}.
 *
 * @param batchSize          windows per step ({@code batch_size})
 * @param blockSize          tokens per window, at most the model's {@code n_positions} ({@code block_size})
 * @param maxSteps           optimizer steps of the whole run ({@code max_iters})
 * @param learningRate       peak learning rate ({@code learning_rate})
 * @param minLearningRate    learning rate at the end of the cosine decay ({@code min_lr})
 * @param warmupSteps        steps of linear warm-up ({@code warmup_iters})
 * @param decaySteps         the step where the decay ends ({@code lr_decay_iters})
 * @param weightDecay        AdamW's decoupled weight decay, applied to matrices only ({@code weight_decay})
 * @param beta1              AdamW's first-moment decay ({@code beta1})
 * @param beta2              AdamW's second-moment decay ({@code beta2})
 * @param epsilon            AdamW's denominator epsilon (PyTorch's default 1e-8)
 * @param gradClip           the largest global gradient norm, or 0 for no clipping ({@code grad_clip})
 * @param evalInterval       steps between evaluations and checkpoints ({@code eval_interval})
 * @param evalBatches        batches averaged per split in an evaluation ({@code eval_iters})
 * @param seed               seeds the training windows (and the evaluation windows)
 */
public record TrainOptions(int batchSize, int blockSize, long maxSteps,
                           double learningRate, double minLearningRate, long warmupSteps, long decaySteps,
                           double weightDecay, double beta1, double beta2, double epsilon, double gradClip,
                           long evalInterval, int evalBatches, long seed) {

    /**
     * Checks every value; the messages name the option.
     *
     * @throws IllegalArgumentException if a value is out of range
     */
    public TrainOptions {
        positive("batch size", batchSize);
        positive("block size", blockSize);
        positive("max steps", maxSteps);
        positive("eval interval", evalInterval);
        positive("eval batches", evalBatches);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be at least 0, got " + weightDecay);
        }
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
        }
        if (!(gradClip >= 0)) {
            throw new IllegalArgumentException("grad clip must be at least 0 (0: no clipping), got " + gradClip);
        }
        schedule(learningRate, minLearningRate, warmupSteps, decaySteps);   // checks the four rates and steps
    }

    /** @return the learning-rate schedule these options describe */
    public LearningRateSchedule schedule() {
        return schedule(learningRate, minLearningRate, warmupSteps, decaySteps);
    }

    private static LearningRateSchedule schedule(double max, double min, long warmup, long decay) {
        return new LearningRateSchedule(max, min, warmup, decay);
    }

    /**
     * A builder with nanoGPT's defaults where they fit a small run: batch 16, block 128,
     * 1000 steps, learning rate 1e-3 decaying to a tenth of it, 100 warm-up steps, decay over
     * all steps, weight decay 0.1, betas 0.9 and 0.95, epsilon 1e-8, clip 1.0, evaluation every
     * 250 steps over 20 batches, seed 1337.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these values */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.batchSize = batchSize;
        b.blockSize = blockSize;
        b.maxSteps = maxSteps;
        b.learningRate = learningRate;
        b.minLearningRate = minLearningRate;
        b.warmupSteps = warmupSteps;
        b.decaySteps = decaySteps;
        b.weightDecay = weightDecay;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.epsilon = epsilon;
        b.gradClip = gradClip;
        b.evalInterval = evalInterval;
        b.evalBatches = evalBatches;
        b.seed = seed;
        return b;
    }

    private static void positive(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /**
     * Builds {@link TrainOptions}. Unset learning-rate bounds follow the peak rate: the minimum
     * is a tenth of it; unset decay steps follow {@code maxSteps}; unset warm-up is
     * {@code min(100, maxSteps / 10)}.
     */
    public static final class Builder {
        private int batchSize = 16;
        private int blockSize = 128;
        private long maxSteps = 1000;
        private double learningRate = 1e-3;
        private Double minLearningRate;
        private Long warmupSteps;
        private Long decaySteps;
        private double weightDecay = 0.1;
        private double beta1 = 0.9;
        private double beta2 = 0.95;
        private double epsilon = 1e-8;
        private double gradClip = 1.0;
        private long evalInterval = 250;
        private int evalBatches = 20;
        private long seed = 1337;

        private Builder() {
        }

        /** @param value windows per step @return this builder */
        public Builder batchSize(int value) {
            batchSize = value;
            return this;
        }

        /** @param value tokens per window @return this builder */
        public Builder blockSize(int value) {
            blockSize = value;
            return this;
        }

        /** @param value optimizer steps of the run @return this builder */
        public Builder maxSteps(long value) {
            maxSteps = value;
            return this;
        }

        /** @param value peak learning rate @return this builder */
        public Builder learningRate(double value) {
            learningRate = value;
            return this;
        }

        /** @param value final learning rate @return this builder */
        public Builder minLearningRate(double value) {
            minLearningRate = value;
            return this;
        }

        /** @param value warm-up steps @return this builder */
        public Builder warmupSteps(long value) {
            warmupSteps = value;
            return this;
        }

        /** @param value the step at which the decay ends @return this builder */
        public Builder decaySteps(long value) {
            decaySteps = value;
            return this;
        }

        /** @param value decoupled weight decay of the matrices @return this builder */
        public Builder weightDecay(double value) {
            weightDecay = value;
            return this;
        }

        /** @param first AdamW's beta1 @param second AdamW's beta2 @return this builder */
        public Builder betas(double first, double second) {
            beta1 = first;
            beta2 = second;
            return this;
        }

        /** @param value AdamW's epsilon @return this builder */
        public Builder epsilon(double value) {
            epsilon = value;
            return this;
        }

        /** @param value largest global gradient norm, 0 for none @return this builder */
        public Builder gradClip(double value) {
            gradClip = value;
            return this;
        }

        /** @param value steps between evaluations @return this builder */
        public Builder evalInterval(long value) {
            evalInterval = value;
            return this;
        }

        /** @param value batches per split per evaluation @return this builder */
        public Builder evalBatches(int value) {
            evalBatches = value;
            return this;
        }

        /** @param value seeds the windows @return this builder */
        public Builder seed(long value) {
            seed = value;
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException if a value is out of range
         */
        public TrainOptions build() {
            double min = minLearningRate != null ? minLearningRate : learningRate / 10;
            long warmup = warmupSteps != null ? warmupSteps : Math.min(100, maxSteps / 10);
            long decay = decaySteps != null ? decaySteps : Math.max(maxSteps, warmup);
            return new TrainOptions(batchSize, blockSize, maxSteps, learningRate, min, warmup, decay,
                    weightDecay, beta1, beta2, epsilon, gradClip, evalInterval, evalBatches, seed);
        }
    }
}
